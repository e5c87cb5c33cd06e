import { Router, type Request, type Response } from 'express';
import type { ServerConfig } from '../../core/config/schema.js';
import { NotFoundError } from '../../core/errors.js';
import { publicBaseUrl } from '../http/public-url.js';
import { parseTilePath } from '../http/tile-path.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { buildTileJson } from './tilejson.js';

export interface TileJsonRouteDeps {
  readonly server: ServerConfig;
  /** Read on every request, so a catalog rebuilt after a publish takes effect at once. */
  readonly catalog: () => TilesetCatalog;
}

/**
 * The Express side of `/tiles/...`: `GET /tiles/{tileset}.json`. Tiles themselves are served by
 * the vector tile route before Express; what reaches this router and is not TileJSON is a
 * request that route refused to take (e.g. a POST), answered 404 here.
 */
export function createTileJsonRouter({ server, catalog }: TileJsonRouteDeps): Router {
  const router = Router();
  router.get(/.*/, (req: Request, res: Response) => {
    const path = parseTilePath(req.path.replace(/^\//, ''));
    if (path.kind !== 'tilejson') throw new NotFoundError('no such resource');
    const { layers } = catalog().resolve(path.tilesetId);
    res.setHeader('Cache-Control', 'no-cache');
    res.json(buildTileJson(publicBaseUrl(req, server), path.tilesetId, layers.map((layer) => layer.info)));
  });
  return router;
}
