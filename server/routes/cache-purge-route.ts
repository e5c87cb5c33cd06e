import { Router, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { TierCounts, TileCache } from '../cache/tile-cache.js';
import { parsePurgeRequest, type TileSelection } from '../cache/tile-selection.js';

/** How an admin action is run: the admin API wraps it in its audit log (server/admin/audited-action.ts). */
export type ActionRunner = <T>(
  req: Request,
  res: Response,
  action: { action: string; target: string; work: () => Promise<T>; details?: (result: T) => Record<string, unknown> },
) => Promise<T>;

export interface CachePurgeRouterDeps {
  readonly cache: TileCache;
  /** Configured tileset ids: the only ones a purge may name. */
  readonly tilesetIds: readonly string[];
  readonly logger: Logger;
  /** Wraps the purge (audit); default: runs it. */
  readonly runAction?: ActionRunner;
  /** Runs before the handler (e.g. requireRole('admin')). */
  readonly guard?: RequestHandler;
}

export interface PurgeResult {
  readonly tileset: string;
  readonly bbox: readonly number[] | null;
  readonly zooms: readonly [number, number];
  /** Entries removed per tier. */
  readonly removed: TierCounts;
  readonly total: number;
}

/**
 * `POST /cache/purge`, to be mounted under `/admin` behind the admin token check (the admin
 * router parses the JSON body). Body `{tileset, bbox?: [w, s, e, n] in degrees, zooms?: [min,
 * max]}`; removes the tileset's tiles, also inside composite tiles, from every tier. Keys change
 * with every publish, so this is never needed for freshness: it is for operators (a bad tile
 * computed from a broken style, space). 400 naming the field on a malformed body; 503 when a
 * shared tier cannot be reached (the tiers before it are purged; purging again is safe).
 */
export function createCachePurgeRouter({ cache, tilesetIds, logger, runAction = (req, res, action) => action.work(), guard }: CachePurgeRouterDeps): Router {
  const router = Router();
  const handlers: RequestHandler[] = guard ? [guard] : [];
  router.post('/cache/purge', ...handlers, async (req, res, next) => {
    try {
      const selection = parsePurgeRequest(req.body, tilesetIds);
      const result = await runAction(req, res, {
        action: 'cache.purge',
        target: `tileset:${selection.tileset}`,
        work: () => purge(cache, selection),
        details: (done) => ({ bbox: done.bbox, zooms: done.zooms, removed: done.removed }),
      });
      logger.info({ tileset: result.tileset, bbox: result.bbox, zooms: result.zooms, removed: result.removed }, 'tile cache purged');
      res.json(result);
    } catch (error) {
      next(error);
    }
  });
  return router;
}

async function purge(cache: TileCache, selection: TileSelection): Promise<PurgeResult> {
  let removed: TierCounts;
  try {
    removed = await cache.purge(selection);
  } catch (error) {
    throw new AppError(503, 'cache_unavailable', `purge incomplete, a cache tier cannot be reached: ${(error as Error).message}; try again`, { cause: error });
  }
  return {
    tileset: selection.tileset,
    bbox: selection.bbox ? [...selection.bbox] : null,
    zooms: [selection.minZoom, selection.maxZoom],
    removed,
    total: Object.values(removed).reduce((sum, count) => sum + count, 0),
  };
}
