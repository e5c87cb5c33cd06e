import pg from 'pg';
import type { DatabaseConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  readonly url: string;
  readonly database: DatabaseConfig;
  /** Shown in pg_stat_activity, so operators can tell server, pipeline and tests apart. */
  readonly applicationName: string;
  readonly logger: Logger;
}

/**
 * A pool with a deadline on every statement. Connections are opened on demand, so after the
 * database comes back the next request simply gets a fresh connection: no restart needed.
 */
export function createPool({ url, database, applicationName, logger }: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: database.poolSize,
    connectionTimeoutMillis: database.connectTimeoutMs,
    options: sessionSettings(database),
    idleTimeoutMillis: 30_000,
    application_name: applicationName,
  });
  // An idle connection that dies (database restarted) emits here; without a listener the
  // process would crash. The pool drops the client by itself.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection lost'));
  return pool;
}

/**
 * The session settings of every connection the application opens, as a libpq `options`
 * string (also usable as PGOPTIONS): the statement deadline and the plan cache mode.
 */
export function sessionSettings(database: DatabaseConfig): string {
  return `-c statement_timeout=${database.statementTimeoutMs} -c plan_cache_mode=${database.planCacheMode}`;
}
