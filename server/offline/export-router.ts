import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router, type Request, type Response } from 'express';
import type { Logger } from '../../core/logger.js';
import { principalOf } from '../admin/auth-middleware.js';
import type { TileCache } from '../cache/tile-cache.js';
import type { ActionRunner } from '../routes/cache-purge-route.js';
import { seedRequestFromQuery } from '../seed/seed-request.js';
import type { PreparedSeed, SeedService } from '../seed/seed-service.js';
import { exportMbtiles, type ExportResult } from './export-mbtiles.js';

export interface ExportRouterDeps {
  readonly service: SeedService;
  readonly tileCache: TileCache;
  readonly concurrency: number;
  readonly logger: Logger;
  /** MBTiles `attribution` of every package. */
  readonly attribution: string;
  readonly runAction?: ActionRunner;
}

/**
 * Offline packages over the admin API, mounted under `/admin` behind its token check:
 * `POST /exports` with the body of `POST /admin/seed`, or
 * `GET /exports/mbtiles?tileset=landuse&county=371502&zooms=10,14` (bbox=w,s,e,n; style=,
 * format=, scale=), answers the `.mbtiles` file (`application/vnd.sqlite3`, as an attachment).
 * The same checks as seeding, before any tile is computed; the package is built in a temporary
 * folder (tiles from the cache, missing ones computed and cached), sent, and deleted. A client
 * that goes away stops the build. Audited as `export.mbtiles`.
 */
export function createExportRouter(deps: ExportRouterDeps): Router {
  const router = Router();
  router.post('/exports', (req: Request, res: Response) => sendPackage(req, res, req.body, deps));
  router.get('/exports/mbtiles', (req: Request, res: Response) => sendPackage(req, res, seedRequestFromQuery(req.query as Record<string, unknown>), deps));
  return router;
}

async function sendPackage(req: Request, res: Response, body: unknown, deps: ExportRouterDeps): Promise<void> {
  const { service, tileCache, concurrency, logger, attribution, runAction = (request, response, action) => action.work() } = deps;
  const principal = principalOf(res);
  const clientGone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) clientGone.abort(new Error('the client went away'));
  });
  const folder = await mkdtemp(join(tmpdir(), 'planmap-export-'));
  try {
    let prepared: PreparedSeed | undefined;
    const result = await runAction(req, res, {
      action: 'export.mbtiles',
      target: describeTarget(body),
      work: async (): Promise<ExportResult> => {
        prepared = await service.prepare(body, principal);
        return exportMbtiles(prepared, join(folder, 'package.mbtiles'), { cache: tileCache, concurrency, signal: clientGone.signal, attribution });
      },
      details: (done) => ({ tiles: done.tiles, emptyTiles: done.emptyTiles, computed: done.progress.computed }),
    });
    const { size } = await stat(result.file);
    logger.info({ target: prepared!.request.target, tiles: result.tiles, bytes: size }, 'MBTiles package exported');
    res.status(200);
    res.setHeader('Content-Type', 'application/vnd.sqlite3');
    res.setHeader('Content-Disposition', `attachment; filename="${packageName(prepared!)}"`);
    res.setHeader('X-Tile-Count', String(result.tiles));
    // sendFile ends the response properly (and reports a client that went away); the folder goes after.
    await new Promise<void>((resolve, reject) => {
      res.sendFile(result.file, { cacheControl: false, etag: false, lastModified: false, acceptRanges: false }, (error) => (error && !res.headersSent ? reject(error) : resolve()));
    });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** `landuse-371502-z10-14.mbtiles`, `planning-bbox-z8-12.mbtiles`: ASCII, from checked ids. */
export function packageName({ request, plan }: PreparedSeed): string {
  const area = plan.county ? plan.county.code : 'bbox';
  const zooms = `z${plan.levels[0]?.z ?? request.minZoom}-${plan.levels.at(-1)?.z ?? request.maxZoom}`;
  return `${request.target.id.replace(/[^A-Za-z0-9_-]+/g, '_')}-${area}-${zooms}.mbtiles`;
}

function describeTarget(body: unknown): string {
  if (typeof body !== 'object' || body === null) return 'export';
  const { tileset, style } = body as { tileset?: unknown; style?: unknown };
  if (typeof tileset === 'string') return `tileset:${tileset.slice(0, 60)}`;
  if (typeof style === 'string') return `style:${style.slice(0, 60)}`;
  return 'export';
}
