import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { sendVectorTile } from '../http/send-tile.js';
import { parseTilePath } from '../http/tile-path.js';
import { writeError } from '../http/write-error.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';

export interface VectorTileRouteDeps {
  /** Read on every request, so a catalog rebuilt after a publish takes effect at once. */
  readonly catalog: () => TilesetCatalog;
  readonly logger: Logger;
}

/** Handles a request, or returns false when it is not one of this route's. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const PREFIX = '/tiles/';

/**
 * `GET /tiles/{tileset}/{z}/{x}/{y}.mvt|.pbf` and `GET /tiles/{tileset}/{tileMatrixSet}/{z}/{x}/{y}.mvt|.pbf`.
 *
 * The hot path of the server, so it runs on Node's own request and response rather than
 * through Express: Express's per-request set-up and routing cost about 0.1 ms of CPU, a third
 * of an uncached z16 tile (bench/README.md). TileJSON (`/tiles/{tileset}.json`) and everything
 * else are left to Express.
 */
export function createVectorTileRoute({ catalog, logger }: VectorTileRouteDeps): RouteHandler {
  return (req, res) => {
    const url = req.url ?? '';
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !url.startsWith(PREFIX)) return false;
    const queryStart = url.indexOf('?');
    const path = queryStart < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, queryStart);
    if (path.endsWith('.json')) return false;
    // A client that goes away cancels its tile's statement; there is then nobody to answer.
    const clientGone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) clientGone.abort();
    });
    serveTile(req, res, path, catalog(), clientGone.signal).catch((error: unknown) => {
      if (clientGone.signal.aborted) return;
      if (res.headersSent) res.destroy();
      else writeError(res, error, url, logger);
    });
    return true;
  };
}

async function serveTile(req: IncomingMessage, res: ServerResponse, path: string, catalog: TilesetCatalog, signal: AbortSignal): Promise<void> {
  const parsed = parseTilePath(path);
  if (parsed.kind !== 'tile') throw new NotFoundError('no such resource');
  const { source, layers } = catalog.resolve(parsed.tilesetId);
  const { tile, grid } = parsed;
  if (tile.z < source.minzoom || tile.z > source.maxzoom) {
    throw new NotFoundError(`zoom ${tile.z} is outside tileset "${source.id}" (zoom ${source.minzoom} to ${source.maxzoom})`);
  }
  const data = await source.getTile(tile, grid, signal);
  const cacheControl = layers.map((layer) => layer.info.cacheControl).reduce(shortestCacheControl);
  await sendVectorTile(req, res, data, cacheControl);
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
