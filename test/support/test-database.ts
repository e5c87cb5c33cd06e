import pg from 'pg';
import { parseConfig, readConfigFile, resolveConfigFile, type AppConfig } from '../../core/config/load-config.js';
import { migrate } from '../../core/db/migrate.js';
import { createPool, type Pool } from '../../core/db/pool.js';
import { createLogger } from '../../core/logger.js';

/**
 * A throw-away database on a real PostgreSQL with PostGIS, one per test run.
 * TEST_DATABASE_URL names the maintenance database to create it from (default: the local
 * cluster's `postgres` database, as `scripts/ensure-postgis.ts --test` provisions it).
 */
export const TEST_ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `planmap_test_${label}_${process.pid}`;
  const admin = new pg.Client({ connectionString: TEST_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`tests need PostgreSQL with PostGIS: cannot connect to ${TEST_ADMIN_URL} (${(error as Error).message}). ` +
      'Run `npm test` (which provisions the local cluster) or set TEST_DATABASE_URL.', { cause: error });
  }
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * The project's default configuration (config/default.yaml), pointed at a test database;
 * `adjust` may change the parsed YAML before validation.
 */
export function testConfig(databaseUrl: string, adjust: (raw: Record<string, unknown>) => void = () => undefined): AppConfig {
  const file = resolveConfigFile(undefined);
  const raw = readConfigFile(file) as Record<string, unknown>;
  adjust(raw);
  return parseConfig(raw, file, { DATABASE_URL: databaseUrl });
}

export const silentLogger = createLogger('test', 'silent');

/** A pool on the database, with migrations applied. */
export async function openMigratedPool(config: AppConfig): Promise<Pool> {
  const pool = createPool({ url: config.databaseUrl, database: config.database, applicationName: 'planmap-test', logger: silentLogger });
  await migrate(pool, silentLogger);
  return pool;
}
