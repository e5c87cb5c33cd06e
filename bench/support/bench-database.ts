import pg from 'pg';
import type { AppConfig } from '../../core/config/load-config.js';
import { qualifiedLiveView } from '../../core/db/dataset-layout.js';
import { migrate } from '../../core/db/migrate.js';
import { createPool, type Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import { generateSample, LANDUSE_SAMPLE_DATASET } from '../../pipeline/sample/generate-sample.js';

/** SQLSTATE of CREATE DATABASE when another process created it first. */
const DUPLICATE_DATABASE = '42P04';

/**
 * The generator fits a grid of seeds to the county areas, so asking for 50,000 parcels gives
 * about, not exactly, 50,000. A database within this share of the request counts as holding
 * it; otherwise every run would regenerate the sample.
 */
const PARCEL_COUNT_TOLERANCE = 0.02;

/** Same seed as the server's start-up sample, so bench and `npm start` serve the same map. */
const SAMPLE_SEED = 'liaocheng';

/**
 * Creates the bench database when missing (through the cluster's `postgres` maintenance
 * database), applies migrations and makes sure the live landuse dataset holds about `parcels`
 * parcels, generating the sample when it does not. Returns a pool on it and the parcel count.
 */
export async function prepareBenchDatabase(
  config: AppConfig,
  parcels: number,
  logger: Logger,
  progress: (message: string) => void,
): Promise<{ pool: Pool; parcelCount: number }> {
  await createDatabaseIfMissing(config.databaseUrl, progress);
  const pool = createPool({ url: config.databaseUrl, database: config.database, applicationName: 'planmap-bench', logger });
  try {
    await migrate(pool, logger);
    let parcelCount = await countParcels(pool);
    if (parcelCount < parcels * (1 - PARCEL_COUNT_TOLERANCE)) {
      progress(`bench database holds ${parcelCount} parcels; generating the sample with ${parcels} (takes a while)`);
      const started = Date.now();
      await generateSample(pool, config, { parcels, seed: SAMPLE_SEED }, logger);
      parcelCount = await countParcels(pool);
      progress(`sample generated: ${parcelCount} parcels in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    return { pool, parcelCount };
  } catch (error) {
    await pool.end();
    throw error;
  }
}

async function createDatabaseIfMissing(databaseUrl: string, progress: (message: string) => void): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`BENCH_DATABASE_URL ${redact(databaseUrl)} names no database`);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`cannot connect to the maintenance database ${redact(url.toString())}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    progress(`creating database ${name}`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== DUPLICATE_DATABASE) throw error;
    });
  } finally {
    await admin.end();
  }
}

/** Rows of the live landuse view; 0 when nothing has been published yet. */
async function countParcels(pool: Pool): Promise<number> {
  const view = qualifiedLiveView(LANDUSE_SAMPLE_DATASET);
  const { rows } = await pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [view]);
  if (!rows[0]?.exists) return 0;
  const { rows: counted } = await pool.query<{ count: string }>(`SELECT count(*) AS count FROM ${view}`);
  return Number(counted[0]!.count);
}

/** Connection strings carry passwords: show them without. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
