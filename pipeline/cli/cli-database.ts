import { loadConfig, type AppConfig } from '../../core/config/load-config.js';
import { migrate } from '../../core/db/migrate.js';
import { createPool, type Pool } from '../../core/db/pool.js';
import { createLogger, type Logger } from '../../core/logger.js';

/** Exit codes a subcommand returns; the values are planmap-cli's (EXIT). */
export interface CommandExits {
  readonly ok: number;
  readonly usage: number;
  readonly notFound: number;
}

/**
 * Runs a CLI command against the configured database (migrated first), closing the pool
 * however the command ends.
 */
export async function withCliDatabase<T>(work: (pool: Pool, config: AppConfig, logger: Logger) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger('planmap-cli', process.env.LOG_LEVEL ?? 'warn');
  const pool = createPool({ url: config.databaseUrl, database: config.database, applicationName: 'planmap-cli', logger });
  try {
    await migrate(pool, logger);
    return await work(pool, config, logger);
  } finally {
    await pool.end();
  }
}

/** Who runs the CLI, as recorded in jobs and the audit log. */
export function cliUser(): string {
  return `cli:${process.env.USER ?? process.env.USERNAME ?? 'unknown'}`;
}
