import express, { type Express } from 'express';
import type { AppConfig } from '../core/config/load-config.js';
import type { Pool } from '../core/db/pool.js';
import { BadRequestError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createErrorMiddleware, notFoundHandler } from './http/error-middleware.js';
import { createCatalogRouter } from './routes/catalog.js';
import { createHealthRouter } from './routes/health.js';
import { createTilesRouter } from './routes/tiles.js';
import type { TilesetCatalog } from './sources/tileset-catalog.js';

export interface AppDeps {
  readonly config: AppConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  /** The current catalog; a function so that it can be rebuilt after a publish. */
  readonly catalog: () => TilesetCatalog;
}

/** The HTTP application. Never listens: `main.ts` (or a test) does. */
export function createApp({ config, pool, logger, catalog }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.server.trustProxy);
  app.set('etag', false);
  app.use((req, res, next) => {
    if (req.originalUrl.length > config.server.maxPathLength) {
      next(new BadRequestError(`request path longer than ${config.server.maxPathLength} characters`));
      return;
    }
    next();
  });
  app.use(createHealthRouter({ pool }));
  app.use(createCatalogRouter({ server: config.server, catalog }));
  app.use('/tiles', createTilesRouter({ server: config.server, catalog }));
  app.use(notFoundHandler);
  app.use(createErrorMiddleware(logger));
  return app;
}
