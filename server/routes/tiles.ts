import { Router, type Request, type Response } from 'express';
import type { ServerConfig } from '../../core/config/schema.js';
import { NotFoundError } from '../../core/errors.js';
import { publicBaseUrl } from '../http/public-url.js';
import { sendVectorTile } from '../http/send-tile.js';
import { parseTilePath } from '../http/tile-path.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { buildTileJson } from './tilejson.js';

export interface TilesRouteDeps {
  readonly server: ServerConfig;
  /** Read on every request, so a catalog rebuilt after a publish takes effect at once. */
  readonly catalog: () => TilesetCatalog;
}

/**
 * `GET /tiles/{tileset}.json`, `GET /tiles/{tileset}/{z}/{x}/{y}.mvt|.pbf` and
 * `GET /tiles/{tileset}/{tileMatrixSet}/{z}/{x}/{y}.mvt|.pbf`.
 */
export function createTilesRouter({ server, catalog }: TilesRouteDeps): Router {
  const router = Router();
  router.get(/.*/, async (req: Request, res: Response) => {
    const path = parseTilePath(req.path.replace(/^\//, ''));
    const { source, layers } = catalog().resolve(path.tilesetId);
    if (path.kind === 'tilejson') {
      res.setHeader('Cache-Control', 'no-cache');
      res.json(buildTileJson(publicBaseUrl(req, server), path.tilesetId, layers.map((layer) => layer.info)));
      return;
    }
    const { tile, grid } = path;
    if (tile.z < source.minzoom || tile.z > source.maxzoom) {
      throw new NotFoundError(`zoom ${tile.z} is outside tileset "${source.id}" (zoom ${source.minzoom} to ${source.maxzoom})`);
    }
    const aborted = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    const data = await source.getTile(tile, grid, aborted.signal);
    const cacheControl = layers.map((layer) => layer.info.cacheControl).reduce(shortestCacheControl);
    await sendVectorTile(req, res, data, cacheControl);
  });
  return router;
}

/** A composite tile is as fresh as its least cacheable member: the shortest max-age wins. */
function shortestCacheControl(a: string, b: string): string {
  return maxAge(b) < maxAge(a) ? b : a;
}

function maxAge(cacheControl: string): number {
  if (/no-store|no-cache/.test(cacheControl)) return -1;
  const match = /max-age=(\d+)/.exec(cacheControl);
  return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
}
