import type { RequestListener } from 'node:http';
import express, { type Express } from 'express';
import type { AppConfig } from '../core/config/load-config.js';
import type { Pool } from '../core/db/pool.js';
import { BadRequestError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createErrorMiddleware, notFoundHandler } from './http/error-middleware.js';
import { writeError } from './http/write-error.js';
import { createCatalogRouter } from './routes/catalog.js';
import { createHealthRouter } from './routes/health.js';
import { createTileJsonRouter } from './routes/tilejson-route.js';
import { createVectorTileRoute } from './routes/vector-tiles.js';
import type { TilesetCatalog } from './sources/tileset-catalog.js';

export interface AppDeps {
  readonly config: AppConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  /** The current catalog; a function so that it can be rebuilt after a publish. */
  readonly catalog: () => TilesetCatalog;
}

/**
 * The HTTP application as a Node request listener. Never listens: `main.ts` (or a test) passes
 * it to `http.createServer`. Vector tiles take a fast path; everything else goes to Express.
 */
export function createApp(deps: AppDeps): RequestListener {
  const { config, logger } = deps;
  const expressApp = createExpressApp(deps);
  const serveVectorTile = createVectorTileRoute(deps);
  return (req, res) => {
    const url = req.url ?? '/';
    if (url.length > config.server.maxPathLength) {
      writeError(res, new BadRequestError(`request path longer than ${config.server.maxPathLength} characters`), url.slice(0, 80), logger);
      return;
    }
    if (!serveVectorTile(req, res)) expressApp(req, res);
  };
}

function createExpressApp({ config, pool, logger, catalog }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.server.trustProxy);
  app.set('etag', false);
  app.use(createHealthRouter({ pool }));
  app.use(createCatalogRouter({ server: config.server, catalog }));
  app.use('/tiles', createTileJsonRouter({ server: config.server, catalog }));
  app.use(notFoundHandler);
  app.use(createErrorMiddleware(logger));
  return app;
}
