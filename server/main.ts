import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../core/config/load-config.js';
import { migrate } from '../core/db/migrate.js';
import { createPool, type Pool } from '../core/db/pool.js';
import { EMBEDDED_SAMPLE_PARCELS, openDatabase, type OpenedDatabase } from '../core/db/embedded/open-database.js';
import { ConfigError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { ensureSampleData, sampleParcelsFromEnv } from '../pipeline/sample/ensure-sample-data.js';
import { createAuthenticator } from '../core/auth/authenticator.js';
import { ImportJobRunner } from '../pipeline/jobs/import-job-runner.js';
import { createAdminRouter } from './admin/admin-router.js';
import { auditedAction } from './admin/audited-action.js';
import { requireRole } from './admin/auth-middleware.js';
import { CacheSweeper } from './cache/cache-sweeper.js';
import { createTileCache } from './cache/create-tile-cache.js';
import { readLiveVersions, VectorTileKeys } from './cache/vector-tile-keys.js';
import { createServerMetrics } from './metrics/server-metrics.js';
import { createCachePurgeRouter } from './routes/cache-purge-route.js';
import { EventStreams } from './admin/job-events.js';
import { createApp } from './app.js';
import { AccessControl } from './access/access-control.js';
import { createAuditRouter } from './access/audit-route.js';
import { drainHttpServer, trackInFlightRequests } from './lifecycle/drain-http-server.js';
import { endPool, trackCheckedOutClients } from './lifecycle/end-pool.js';
import { exitOnSignals, ShutdownList } from './lifecycle/shutdown-list.js';
import { runClusterPrimary } from './lifecycle/cluster-primary.js';
import { loadTilesetCatalog } from './sources/tileset-catalog.js';
import { StyleRasterRenderer } from './render/style-raster-renderer.js';
import { RenderPool } from './render/render-pool.js';
import { CachedRasterTiles } from './render/cached-raster-tiles.js';
import { decodeTileBody } from './cache/cached-tile.js';
import { readVectorTile } from './cache/read-vector-tile.js';
import { loadStyleCatalog, STYLES_DIR } from './styles/style-catalog.js';
import { createSeeding } from './seed/create-seeding.js';
import { startLiveCatalog } from './live/start-live-catalog.js';
import { startAnalysis } from './analysis/start-analysis.js';
import { createChangesRouter } from './analysis/changes-router.js';
import { createStatisticsRouter } from './analysis/statistics-router.js';
import { createImportScheduler, importThroughJobs } from '../pipeline/schedule/create-import-scheduler.js';

/**
 * `npm start`: configuration, migrations, the sample data on an empty database, then HTTP.
 * The only place that listens or exits the process.
 */
async function main(): Promise<void> {
  const logger = createLogger('planmap');
  // Without DATABASE_URL: the embedded PGlite + PostGIS (core/db/embedded), with a smaller sample.
  const database = await openDatabase(loadConfig(), logger);
  const config = database.config;
  const sampleParcels = database.embedded && !process.env.SAMPLE_PARCELS ? EMBEDDED_SAMPLE_PARCELS : sampleParcelsFromEnv(process.env.SAMPLE_PARCELS);
  const workers = config.server.workers === 'auto' ? availableParallelism() : config.server.workers;
  if (cluster.isPrimary && workers > 1) {
    if (database.embedded) {
      logger.warn({ workers }, 'server.workers is ignored on the embedded database (one process owns it): running one process');
    } else {
      // The database is made ready once, before any worker starts, so that workers never race on an empty one.
      const pool = createPool({ url: config.databaseUrl, database: config.database, applicationName: 'planmap-primary', logger });
      const sampleLoaded = await prepareDatabase(pool, database, sampleParcels, logger).finally(() => pool.end());
      runClusterPrimary({
        workers, logger, shutdownTimeoutMs: config.server.shutdownTimeoutMs, exit: (code) => process.exit(code),
        firstWorkerEnv: sampleLoaded ? { [FRESH_SAMPLE_ENV]: '1' } : {},
      });
      return;
    }
  }
  const pool = createPool({ url: config.databaseUrl, database: config.database, applicationName: 'planmap-server', logger });
  // SIGTERM/SIGINT stop what was started, in reverse order: add a step right after starting what it stops.
  const shutdown = new ShutdownList(logger, config.server.shutdownTimeoutMs);
  exitOnSignals(shutdown, logger, config.server.shutdownTimeoutMs, (code) => process.exit(code));
  shutdown.add('embedded database', () => database.close());
  trackCheckedOutClients(pool);
  shutdown.add('database pool', (deadline) => endPool(pool, deadline, logger));
  const sampleLoaded = (await prepareDatabase(pool, database, sampleParcels, logger)) || process.env[FRESH_SAMPLE_ENV] === '1';
  // Tile queries go to a read replica when one is configured; the catalog, writes and LISTEN stay on the primary.
  const replicaUrl = process.env.DATABASE_REPLICA_URL || config.database.replicaUrl;
  const tilePool = replicaUrl ? createPool({ url: replicaUrl, database: config.database, applicationName: 'planmap-server-tiles', logger }) : pool;
  if (tilePool !== pool) {
    trackCheckedOutClients(tilePool);
    shutdown.add('replica pool', (deadline) => endPool(tilePool, deadline, logger));
  }
  // Rebuilt on every publish or rollback (LISTEN planmap_publish), whichever process made it.
  const live = await startLiveCatalog({ config, logger, build: () => loadTilesetCatalog(pool, config, logger, undefined, tilePool) });
  shutdown.add('live catalog', () => live.stop());
  // The 三区三线 analysis follows every publish (pipeline/analysis); after a fresh sample, its control
  // lines are published first, in the background (not on the embedded database: one session would stall tiles).
  const analysis = await startAnalysis({ pool, config, logger, sampleParcels: sampleLoaded && !database.embedded ? sampleParcels : null });
  shutdown.add('analysis', () => analysis.stop());
  const catalog = () => live.catalog.current();
  // The tile cache: keys carry the catalog's live versions; retired versions are swept in the background.
  const tilesetIds = config.tilesets.map((tileset) => tileset.id);
  const metrics = createServerMetrics({ tilesetIds, memoryBytes: () => tileCache.memoryBytes });
  const tileCache = createTileCache(config.cache, { logger, observer: metrics });
  shutdown.add('tile cache', () => tileCache.close());

  const purgeRouter = createCachePurgeRouter({
    cache: tileCache, tilesetIds, logger, guard: requireRole('admin'),
    runAction: (req, res, action) => auditedAction(pool, logger, req, res, action),
  });
  // Imports asked for through the admin API run in this process as jobs (pipeline/jobs).
  const jobs = new ImportJobRunner({ pool, config, logger });
  await jobs.recoverAbandonedJobs();
  shutdown.add('import jobs', (deadline) => jobs.close(deadline));
  const eventStreams = new EventStreams();
  const authenticator = createAuthenticator({ pool, logger, bootstrapToken: process.env.ADMIN_TOKEN });
  // A style that fails validation stops start-up here, naming its file (ConfigError).
  const styles = loadStyleCatalog(STYLES_DIR, catalog, logger, config.tilesets);
  const sweeper = new CacheSweeper({
    cache: tileCache, keys: new VectorTileKeys(config), readLiveVersions: () => readLiveVersions(pool), catalog, styles: () => styles.list(),
    intervalMs: config.cache.sweepIntervalSeconds * 1000, logger,
  });
  sweeper.start();
  shutdown.add('tile cache sweeper', () => sweeper.stop());
  // Raster tiles read their vector tiles through the tile cache and are cached themselves.
  const tileKeys = new VectorTileKeys(config);
  // Without a cache nothing is stored: the renderer gets the tile as made, not gzipped and gunzipped again.
  const cacheReads = { tileCache, tileKeys, gzipLevel: config.cache.enabled ? config.cache.gzipLevel : null };
  // Raster tiles are drawn in worker threads beside the event loop, the CPUs shared among the server processes.
  const drawing = new RenderPool({ styles: styles.list(), workerCount: Math.max(1, Math.floor(availableParallelism() / workers)) });
  shutdown.add('render workers', () => drawing.close());
  const renderer = new StyleRasterRenderer({
    styles, catalog, drawing,
    vectorTile: async (current, tilesetId, grid, tile, signal) => decodeTileBody(await readVectorTile(cacheReads, current, tilesetId, grid, tile, signal)),
  });
  const raster = new CachedRasterTiles({ renderer, tileCache, tileKeys, styles, catalog });
  // Seeding (POST /admin/seed) and MBTiles packages (/admin/exports); low zooms after a publish when configured.
  const seeding = createSeeding({ config, pool, logger, catalog, tileCache, styles, raster: renderer, streams: eventStreams, runAction: (req, res, action) => auditedAction(pool, logger, req, res, action) });
  seeding.start();
  shutdown.add('seed runs', () => seeding.close());
  const admin = createAdminRouter({ config, pool, logger, authenticator, runner: jobs, eventStreams, extraRouters: [purgeRouter, createAuditRouter({ pool }), createStatisticsRouter({ pool, config }), createChangesRouter({ pool, config, logger }), ...seeding.routers] });
  // Access levels, rate limits, CORS; counted reads of protected data are written at shutdown after the HTTP drain.
  const access = new AccessControl({ config, pool, logger, authenticator });
  shutdown.add('read audit', () => access.close());
  const app = createApp({ config, pool, logger, catalog, admin, styles, raster, tileCache, metrics, access });
  // Scheduled imports are jobs like admin imports: progress, events, the same 409 rules.
  const scheduler = createImportScheduler({ pool, config, logger, runImport: importThroughJobs(jobs) });
  scheduler.start();
  shutdown.add('import scheduler', () => scheduler.stop());
  const server = createServer(app);
  trackInFlightRequests(server);
  server.listen(config.server.port, () => {
    logger.info({ port: (server.address() as AddressInfo).port, tilesets: catalog().list().map((layer) => layer.id) }, 'planmap listening');
  });
  // First to stop: no new connections, requests in flight finish (or are cut at the deadline).
  shutdown.add('http server', (deadline) => drainHttpServer(server, deadline, logger));
  // Before the drain: an open event stream would hold it until the deadline.
  shutdown.add('admin event streams', () => eventStreams.closeAll());
}

/** Set by the cluster primary for its first worker when it loaded the sample: that worker runs the sample's analysis. */
const FRESH_SAMPLE_ENV = 'PLANMAP_FRESH_SAMPLE';

/** Migrations, then the sample data on an empty database; true when the sample was loaded now. */
async function prepareDatabase(pool: Pool, database: OpenedDatabase, sampleParcels: number, logger: Logger): Promise<boolean> {
  const { config } = database;
  try {
    await migrate(pool, logger);
  } catch (error) {
    const where = database.embedded ? `the embedded database in ${database.embedded.dataDir}` : `DATABASE_URL ${redact(config.databaseUrl)}`;
    throw new Error(`cannot prepare the database (${where}): ${(error as Error).message}`, { cause: error });
  }
  return ensureSampleData(pool, config, logger, sampleParcels);
}

/** Connection strings carry passwords: show them without. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `start-up failed: ${error instanceof Error ? error.message : String(error)}`;
  console.error(message);
  process.exit(1);
});
