import type { RequestListener } from 'node:http';
import express, { type Express, type Router } from 'express';
import type { AppConfig } from '../core/config/load-config.js';
import type { Pool } from '../core/db/pool.js';
import { BadRequestError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { TileCache } from './cache/tile-cache.js';
import type { Authenticator } from '../core/auth/authenticator.js';
import { createAuthenticator } from '../core/auth/authenticator.js';
import { AccessControl } from './access/access-control.js';
import { createAccessMiddleware } from './access/access-middleware.js';
import { wmtsAccessHooks } from './access/wmts-access.js';
import { createTileServing } from './cache/tile-serving.js';
import { createErrorMiddleware, notFoundHandler } from './http/error-middleware.js';
import { withRequestIds } from './http/request-id.js';
import { writeError } from './http/write-error.js';
import { createMetricsRouter } from './metrics/metrics-route.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import { createCatalogRouter } from './routes/catalog.js';
import { createClassesRouter } from './routes/classes-route.js';
import { createHealthRouter } from './routes/health.js';
import { createRasterTileRoute, createStylesRouter } from './routes/styles-route.js';
import { createTileJsonRouter } from './routes/tilejson-route.js';
import { createVectorTileRoute } from './routes/vector-tiles.js';
import { createWebRouter } from './routes/web-route.js';
import type { RasterTileService } from './render/raster-tile-service.js';
import type { TilesetCatalog } from './sources/tileset-catalog.js';
import type { StyleCatalog } from './styles/style-catalog.js';
import { createWmtsRouter } from './wmts/wmts-router.js';

export interface AppDeps {
  readonly config: AppConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  /** The current catalog; a function so that it can be rebuilt after a publish. */
  readonly catalog: () => TilesetCatalog;
  /** The admin API (server/admin/admin-router.ts), mounted at /admin when given. */
  readonly admin?: Router;
  /** The tile cache (server/cache/create-tile-cache.ts); without one every tile is computed. */
  readonly tileCache?: TileCache;
  /** Served at GET /metrics; without it the app makes a registry of its own. */
  readonly metrics?: ServerMetrics;
  /** Styles (server/styles/style-catalog.ts) and their raster tiles: /styles/... when both are given. */
  readonly styles?: StyleCatalog;
  readonly raster?: RasterTileService;
  /**
   * Access control, rate limits, CORS (server/access). Without it one is made from the config,
   * verifying tokens with `authenticator` (else one with ADMIN_TOKEN from the environment).
   */
  readonly access?: AccessControl;
  readonly authenticator?: Authenticator;
}

/**
 * The HTTP application as a Node request listener. Never listens: `main.ts` (or a test) passes
 * it to `http.createServer`. Vector tiles take a fast path; everything else goes to Express.
 */
export function createApp(deps: AppDeps): RequestListener {
  const { config, logger } = deps;
  const tileServing = createTileServing(config, deps);
  const access =
    deps.access ??
    new AccessControl({ config, pool: deps.pool, logger, authenticator: deps.authenticator ?? createAuthenticator({ pool: deps.pool, logger, bootstrapToken: process.env.ADMIN_TOKEN }) });
  const expressApp = createExpressApp({ ...deps, metrics: tileServing.metrics, access });
  const vectorTiles = createVectorTileRoute({ ...deps, ...tileServing, access });
  // Raster tiles take a fast path of their own too (server/routes/styles-route.ts).
  const { styles, raster } = deps;
  const rasterTiles = styles && raster ? createRasterTileRoute({ config, styles, raster, catalog: deps.catalog, access, logger }) : () => false;
  const { maxPathLength } = config.server;
  return withRequestIds(
    logger,
    (req, res) => {
      const url = req.url ?? '/';
      if (url.length > maxPathLength) {
        writeError(res, new BadRequestError(`request path longer than ${maxPathLength} characters`), url.slice(0, 80), logger);
        return;
      }
      if (!vectorTiles.serve(req, res) && !rasterTiles(req, res)) expressApp(req, res);
    },
    (req, res, requestId) => (req.url ?? '').length <= maxPathLength && vectorTiles.serveCachedNow(req, res, requestId),
  );
}

function createExpressApp({ config, pool, logger, catalog, admin, metrics, styles, raster, access }: AppDeps & { metrics: ServerMetrics; access: AccessControl }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.server.trustProxy);
  app.set('etag', false);
  app.use(createAccessMiddleware(access, (styleId) => (styles ? styles.list().find((style) => style.id === styleId)?.sourceTilesets ?? null : null)));
  app.use(createHealthRouter({ pool }));
  app.use(createMetricsRouter(metrics));
  app.use(createCatalogRouter({ server: config.server, catalog, access }));
  app.use('/tiles', createTileJsonRouter({ server: config.server, catalog, access }));
  if (styles && raster) app.use('/styles', createStylesRouter({ config, styles, raster, catalog, access }));
  if (styles && raster) {
    app.use('/wmts', createWmtsRouter({ server: config.server, styles: () => styles, raster, logger, passThroughParameters: ['token'], ...wmtsAccessHooks(access, () => styles.list()) }));
  }
  app.use(createClassesRouter());
  app.use(createWebRouter());
  if (admin) app.use('/admin', admin);
  app.use(notFoundHandler);
  app.use(createErrorMiddleware(logger));
  return app;
}
