import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../core/logger.js';
import type { AccessControl } from '../access/access-control.js';
import { EXPOSED_HEADERS } from '../access/cors.js';
import { DATA_SECURITY_HEADER_LIST, setSecurityHeaders } from '../access/security-headers.js';
import type { TileServing } from '../cache/tile-serving.js';
import { REQUEST_ID_HEADER, type SynchronousListener } from '../http/request-id.js';
import { representationEtag } from '../http/send-cached-tile.js';
import { acceptsGzip, MVT_CONTENT_TYPE } from '../http/send-tile.js';
import { parseTilePath, type TilePath } from '../http/tile-path.js';
import { writeError } from '../http/write-error.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { TileAddressMemo } from './tile-address-memo.js';
import type { VectorTilePlan, VectorTilePlans } from './vector-tile-plans.js';

export interface CachedTileNowDeps extends TileServing {
  readonly catalog: () => TilesetCatalog;
  readonly logger: Logger;
  readonly access?: AccessControl | undefined;
  readonly plans: VectorTilePlans;
  /** The path below /tiles/ of a tile request, or null (vector-tiles.ts). */
  readonly tilePathOf: (req: IncomingMessage) => string | null;
}

/**
 * The fast path of the commonest request: a public vector tile that the in-process cache
 * holds, for a client that takes gzip. It is answered synchronously with one
 * `writeHead(200, list)`: no promise, no close listener, no AbortController, no header set
 * one by one, which together cost more than the rest of the answer (bench/README.md,
 * bench:cache). Anything else (a miss, a token, a conditional request, a bad path) returns
 * false untouched and takes the full route in vector-tiles.ts, which gives the same answer
 * the slow way; the response headers are the same either way.
 */
export function createCachedTileNow(deps: CachedTileNowDeps): SynchronousListener {
  const { catalog, plans, tileCache, metrics, access, logger, tilePathOf } = deps;
  const addresses = new TileAddressMemo<PublicTileAddress>(MAX_REMEMBERED_PATHS);
  return (req, res, requestId) => {
    // Conditional requests (304) and clients without gzip take the full route.
    if (req.headers['if-none-match'] !== undefined || !acceptsGzip(req)) return false;
    const path = tilePathOf(req);
    if (path === null) return false;
    const started = performance.now();
    const current = catalog();
    const address = addresses.lookup(current, path, (path) => publicTileAddress(plans, current, path));
    if (address === null) return false;
    const { plan, z } = address;
    const hit = tileCache.peek(address);
    if (!hit) return false;
    // Counted against the rate limit only now, with the answer in hand: a fall back to the
    // full route must not take a second token.
    if (access) {
      try {
        access.limit(req, res, 'tiles');
      } catch (error) {
        res.setHeader(REQUEST_ID_HEADER, requestId);
        setSecurityHeaders(res);
        writeError(res, error, path, logger);
        return true;
      }
    }
    const origin = plan.resource ? access?.cors.allowedOriginFor(req, plan.resource.level) ?? null : null;
    const headers: string[] = [REQUEST_ID_HEADER, requestId, ...DATA_SECURITY_HEADER_LIST];
    if (origin !== null) headers.push('Access-Control-Allow-Origin', origin, 'Access-Control-Expose-Headers', EXPOSED_HEADERS);
    headers.push('Cache-Control', plan.cacheControl, 'Vary', origin !== null && origin !== '*' ? 'Origin, Accept-Encoding' : 'Accept-Encoding');
    if (!hit.body) {
      res.writeHead(204, headers).end();
    } else {
      const isGzip = hit.encoding === 'gzip';
      headers.push('ETag', representationEtag(hit, isGzip), 'Content-Type', MVT_CONTENT_TYPE);
      if (isGzip) headers.push('Content-Encoding', 'gzip');
      headers.push('Content-Length', String(hit.body.length));
      res.writeHead(200, headers).end(hit.body);
    }
    metrics.observeTile(plan.tilesetId, z, (performance.now() - started) / 1000);
    return true;
  };
}

/** A tile of a public tileset path within its zooms: what the fast path may answer from memory. */
interface PublicTileAddress {
  readonly plan: VectorTilePlan;
  readonly z: number;
  /** The tile's key id in the in-process tier. */
  readonly id: string;
}

/** About 4 MB of paths and key ids at most; a map view's working set is a few thousand tiles. */
const MAX_REMEMBERED_PATHS = 20_000;

function publicTileAddress(plans: VectorTilePlans, catalog: TilesetCatalog, path: string): PublicTileAddress | null {
  const parsed = parseQuietly(path);
  if (parsed?.kind !== 'tile') return null;
  const plan = planQuietly(plans, catalog, parsed.tilesetId);
  if (!plan || (plan.resource !== undefined && plan.resource.level !== 'public')) return null;
  const { tile, grid } = parsed;
  if (tile.z < plan.source.minzoom || tile.z > plan.source.maxzoom) return null;
  return { plan, z: tile.z, id: plan.keyIdFor(grid, tile) };
}

function parseQuietly(path: string): TilePath | null {
  try {
    return parseTilePath(path);
  } catch {
    return null;
  }
}

function planQuietly(plans: VectorTilePlans, catalog: TilesetCatalog, tilesetId: string): VectorTilePlan | null {
  try {
    return plans.planFor(catalog, tilesetId);
  } catch {
    return null;
  }
}
