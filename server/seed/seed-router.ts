import { Router, type Request, type Response } from 'express';
import { actorOf } from '../../core/auth/permissions.js';
import { ForbiddenError } from '../../core/auth/auth-errors.js';
import { NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { principalOf } from '../admin/auth-middleware.js';
import { openEventStream, type EventStreams } from '../http/event-stream.js';
import type { ActionRunner } from '../routes/cache-purge-route.js';
import type { SeedRuns, SeedRunView } from './seed-runs.js';
import type { SeedService } from './seed-service.js';

export interface SeedRouterDeps {
  readonly service: SeedService;
  readonly runs: SeedRuns;
  readonly logger: Logger;
  /** Open event streams, ended at shutdown. */
  readonly streams: EventStreams;
  /** Wraps the start of a run (the admin API's audit log); default: runs it. */
  readonly runAction?: ActionRunner;
  /** How often an idle event stream sends a keep-alive comment (default 15 s). */
  readonly keepAliveMs?: number;
}

/**
 * Seeding over the admin API, mounted under `/admin` behind its token check:
 * - `POST /seed` `{tileset | style, bbox | county, zooms: [min, max], grid?, format?, scale?}`:
 *   checks everything and counts the tiles first (400 field, 404 unknown tileset/style/county,
 *   403 another county's data, 422 over `seed.maxTiles`), then answers 202 with the run and a
 *   Location; the run continues in the background. Audited as `seed.start`.
 * - `GET /seed/{id}`: the run; `GET /seed/{id}/events`: server-sent `progress` events (at once
 *   and as tiles are done, at most every 100 ms) and `end`; `DELETE /seed/{id}`: aborts it.
 */
export function createSeedRouter({ service, runs, logger, streams, runAction = (req, res, action) => action.work(), keepAliveMs = 15_000 }: SeedRouterDeps): Router {
  const router = Router();

  router.post('/seed', async (req: Request, res: Response) => {
    const principal = principalOf(res);
    const body: unknown = req.body;
    const target = describeTarget(body);
    const run = await runAction(req, res, {
      action: 'seed.start',
      target,
      work: async () => runs.start(await service.prepare(body, principal), actorOf(principal)),
      details: (started) => ({ run: started.id, tiles: started.progress.total, zooms: started.zooms, bbox: started.bbox, county: started.county }),
    });
    logger.info({ seedRun: run.id, target: run.target, tiles: run.progress.total }, 'seed run started');
    res.status(202).location(`${req.baseUrl}/seed/${run.id}`).json({ run });
  });

  router.get('/seed/:id', (req: Request, res: Response) => {
    res.json({ run: findRun(runs, String(req.params.id)) });
  });

  router.delete('/seed/:id', (req: Request, res: Response) => {
    const run = findRun(runs, String(req.params.id));
    const principal = principalOf(res);
    if (principal.role !== 'admin' && run.startedBy !== actorOf(principal)) {
      throw new ForbiddenError(`token ${principal.tokenId} may abort only the seed runs it started`);
    }
    runs.abort(run.id);
    res.status(202).json({ run: runs.get(run.id) });
  });

  router.get('/seed/:id/events', (req: Request, res: Response) => {
    const run = findRun(runs, String(req.params.id));
    streamSeedEvents(res, run, runs, streams, keepAliveMs);
  });
  return router;
}

function findRun(runs: SeedRuns, id: string): SeedRunView {
  const run = runs.get(id);
  if (!run) throw new NotFoundError(`no seed run "${id.slice(0, 40)}" in this server process (runs are kept in memory)`);
  return run;
}

/** `tileset:landuse`, `style:planning`, for the audit log; `seed` when the body names neither. */
function describeTarget(body: unknown): string {
  if (typeof body !== 'object' || body === null) return 'seed';
  const { tileset, style } = body as { tileset?: unknown; style?: unknown };
  if (typeof tileset === 'string') return `tileset:${tileset.slice(0, 60)}`;
  if (typeof style === 'string') return `style:${style.slice(0, 60)}`;
  return 'seed';
}

/** `progress` at once and on every change, then `end` with the final state, and closes. */
function streamSeedEvents(res: Response, run: SeedRunView, runs: SeedRuns, streams: EventStreams, keepAliveMs: number): void {
  const { send, close } = openEventStream(res, { streams, keepAliveMs, onClose: () => unsubscribe() });
  const show = (view: SeedRunView) => {
    send('progress', { id: view.id, status: view.status, ...view.progress });
    if (view.status === 'running') return;
    send('end', { id: view.id, status: view.status, error: view.error, ...view.progress });
    close();
  };
  const unsubscribe = runs.subscribe(run.id, show);
  show(runs.get(run.id) ?? run);
}
