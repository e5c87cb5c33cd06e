import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { encodeTile } from '../cache/cached-tile.js';
import type { TileServing } from '../cache/tile-serving.js';
import { sendCachedTile, trySendCachedTileNow } from '../http/send-cached-tile.js';
import { parseTilePath } from '../http/tile-path.js';
import { writeError } from '../http/write-error.js';
import type { AccessControl } from '../access/access-control.js';
import { setSecurityHeaders } from '../access/security-headers.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { appendVary } from '../http/vary.js';
import type { SynchronousListener } from '../http/request-id.js';
import { createCachedTileNow } from './cached-tile-now.js';
import { VectorTilePlans } from './vector-tile-plans.js';

export interface VectorTileRouteDeps extends TileServing {
  /** Read on every request, so a catalog rebuilt after a publish takes effect at once. */
  readonly catalog: () => TilesetCatalog;
  readonly logger: Logger;
  /** Rate limits, access levels, CORS (server/access); without it every tileset is public and unlimited. */
  readonly access?: AccessControl;
}

/** Handles a request, or returns false when it is not one of this route's. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface VectorTileRoute {
  /** A public tile the in-process cache holds (server/routes/cached-tile-now.ts). */
  readonly serveCachedNow: SynchronousListener;
  /** Every tile request, and the errors of bad ones. */
  readonly serve: RouteHandler;
}

const PREFIX = '/tiles/';

/**
 * `GET /tiles/{tileset}/{z}/{x}/{y}.mvt|.pbf` and `GET /tiles/{tileset}/{tileMatrixSet}/{z}/{x}/{y}.mvt|.pbf`.
 *
 * The hot path of the server, so it runs on Node's own request and response rather than
 * through Express: Express's per-request set-up and routing cost about 0.1 ms of CPU, a third
 * of an uncached z16 tile (bench/README.md). TileJSON (`/tiles/{tileset}.json`) and everything
 * else are left to Express.
 */
export function createVectorTileRoute(deps: VectorTileRouteDeps): VectorTileRoute {
  const { catalog, logger } = deps;
  const plans = new VectorTilePlans(deps);
  const serve: RouteHandler = (req, res) => {
    const path = tilePathOf(req);
    if (path === null) return false;
    setSecurityHeaders(res);
    // A client that goes away cancels its tile's statement; there is then nobody to answer.
    const clientGone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) clientGone.abort();
    });
    serveTile(req, res, path, catalog(), plans, clientGone.signal, deps).catch((error: unknown) => {
      if (clientGone.signal.aborted) return;
      if (res.headersSent) res.destroy();
      else writeError(res, error, req.url ?? '', logger);
    });
    return true;
  };
  return { serve, serveCachedNow: createCachedTileNow({ ...deps, plans, tilePathOf }) };
}

/** The path below `/tiles/` of a tile request (GET or HEAD, not TileJSON), without the query; else null. */
function tilePathOf(req: IncomingMessage): string | null {
  const url = req.url ?? '';
  if ((req.method !== 'GET' && req.method !== 'HEAD') || !url.startsWith(PREFIX)) return null;
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, queryStart);
  return path.endsWith('.json') ? null : path;
}

/**
 * The cache is asked before anything touches the database: its key comes from the catalog's
 * live versions held in memory, so cached tiles are served while the database is down, and a
 * rebuilt catalog (publish, rollback) means new keys at once.
 */
async function serveTile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  catalog: TilesetCatalog,
  plans: VectorTilePlans,
  signal: AbortSignal,
  { tileCache, metrics, gzipLevel, access }: TileServing & { access?: AccessControl | undefined },
): Promise<void> {
  const started = performance.now();
  access?.limit(req, res, 'tiles');
  const parsed = parseTilePath(path);
  if (parsed.kind !== 'tile') throw new NotFoundError('no such resource');
  // Access is decided before the catalog and the cache are asked: a cached tile of a restricted
  // tileset is never served without permission. Public tilesets need no await here.
  const resource = access?.policy.tileset(parsed.tilesetId);
  if (access && resource) {
    access.cors.apply(req, res, resource.level);
    if (resource.level !== 'public') {
      // The answer depends on the caller's token: a shared cache in front must not reuse it for another.
      appendVary(res, 'Authorization');
      await access.authorize(req, res, resource, { action: 'tiles.read', target: `tileset:${parsed.tilesetId}` });
    }
  }
  const plan = plans.planFor(catalog, parsed.tilesetId);
  const { source } = plan;
  const { tile, grid } = parsed;
  if (tile.z < source.minzoom || tile.z > source.maxzoom) {
    throw new NotFoundError(`zoom ${tile.z} is outside tileset "${source.id}" (zoom ${source.minzoom} to ${source.maxzoom})`);
  }
  const key = plan.keyFor(grid, tile);
  // A memory hit is answered before the first await: no promise, no later tick.
  const hit = tileCache.peek(key);
  if (!hit || !trySendCachedTileNow(req, res, hit, plan.cacheControl)) {
    const cached = hit ?? (await tileCache.getOrCompute(
      key,
      async (computeSignal) => encodeTile(await source.getTile(tile, grid, computeSignal), { gzipLevel }),
      signal,
    ));
    await sendCachedTile(req, res, cached, plan.cacheControl);
  }
  metrics.observeTile(parsed.tilesetId, tile.z, (performance.now() - started) / 1000);
}
