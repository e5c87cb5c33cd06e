import { createServer } from 'node:http';
import { loadConfig } from '../core/config/load-config.js';
import { migrate } from '../core/db/migrate.js';
import { createPool } from '../core/db/pool.js';
import { ConfigError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { ensureSampleData, sampleParcelsFromEnv } from '../pipeline/sample/ensure-sample-data.js';
import { createApp } from './app.js';
import { loadTilesetCatalog } from './sources/tileset-catalog.js';

/**
 * `npm start`: configuration, migrations, the sample data on an empty database, then HTTP.
 * The only place that listens or exits the process.
 */
async function main(): Promise<void> {
  const logger = createLogger('planmap');
  const config = loadConfig();
  const sampleParcels = sampleParcelsFromEnv(process.env.SAMPLE_PARCELS);
  const pool = createPool({ url: config.databaseUrl, database: config.database, applicationName: 'planmap-server', logger });
  try {
    await migrate(pool, logger);
  } catch (error) {
    throw new Error(`cannot prepare the database (DATABASE_URL ${redact(config.databaseUrl)}): ${(error as Error).message}`, { cause: error });
  }
  await ensureSampleData(pool, config, logger, sampleParcels);
  const catalog = await loadTilesetCatalog(pool, config, logger);
  const app = createApp({ config, pool, logger, catalog: () => catalog });
  const server = createServer(app).listen(config.server.port, () => {
    logger.info({ port: config.server.port, tilesets: catalog.list().map((layer) => layer.id) }, 'planmap listening');
  });
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.close(() => {
      pool.end().finally(() => process.exit(0));
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
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
