import { Router, type ErrorRequestHandler } from 'express';
import type { Authenticator } from '../../core/auth/authenticator.js';
import type { AppConfig } from '../../core/config/load-config.js';
import { isDatabaseUnavailable } from '../../core/db/database-errors.js';
import type { Pool } from '../../core/db/pool.js';
import { DatabaseUnavailableError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ImportJobRunner } from '../../pipeline/jobs/import-job-runner.js';
import { createAuthMiddleware, requireAdminApi } from './auth-middleware.js';
import { createDatasetRoutes } from './dataset-routes.js';
import { EventStreams } from './job-events.js';
import { createJobRoutes } from './job-routes.js';
import { jsonBody } from './json-body.js';

export interface AdminRouterDeps {
  readonly config: AppConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly runner: ImportJobRunner;
  /** Open job event streams; pass one to end them at shutdown (`closeAll`). */
  readonly eventStreams?: EventStreams;
  /**
   * More admin routers (cache purge, seeding, statistics...), mounted after the admin ones and
   * behind the same token check: `principalOf(res)` gives the caller, and they may narrow it
   * further with `requireRole('admin')`. JSON bodies are parsed already.
   */
  readonly extraRouters?: readonly Router[];
  /** How often an event stream reads its job row (default 1 s). */
  readonly eventPollMs?: number;
  /** How often an idle event stream sends a keep-alive comment (default 15 s). */
  readonly eventKeepAliveMs?: number;
}

/**
 * The admin API, to be mounted at `/admin`: every request needs a bearer token of an admin or
 * an editor (401 without a valid one, 403 for a viewer); answers are never cached.
 */
export function createAdminRouter(deps: AdminRouterDeps): Router {
  const { pool, logger } = deps;
  const router = Router();
  router.use((req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(createAuthMiddleware({ authenticator: deps.authenticator, pool, logger }));
  router.use(requireAdminApi(pool, logger));
  router.use(jsonBody());
  router.use(createDatasetRoutes(deps));
  router.use(
    createJobRoutes({
      ...deps,
      streams: deps.eventStreams ?? new EventStreams(),
      eventPollMs: deps.eventPollMs ?? 1000,
      eventKeepAliveMs: deps.eventKeepAliveMs ?? 15_000,
    }),
  );
  for (const extra of deps.extraRouters ?? []) router.use(extra);
  // An outage is "try again later" (503), not a bug (500).
  const outages: ErrorRequestHandler = (error, req, res, next) =>
    next(isDatabaseUnavailable(error) ? new DatabaseUnavailableError('database unavailable; try again later', { cause: error }) : error);
  router.use(outages);
  return router;
}
