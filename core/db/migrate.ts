import type { Logger } from '../logger.js';
import type { Pool } from './pool.js';
import { migrations as allMigrations, type Migration } from './migrations/index.js';

/** Any constant works; it only has to be the same for every process of this application. */
const MIGRATION_LOCK_KEY = 0x706c616e; // "plan"

/**
 * Applies pending migrations, each in its own transaction. Safe to run from several processes
 * at once (an advisory lock serialises them) and on every start-up (applied ones are skipped).
 * Returns the ids it applied.
 */
export async function migrate(pool: Pool, logger: Logger, migrations: readonly Migration[] = allMigrations): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS public.planmap_migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ id: number }>('SELECT id FROM public.planmap_migrations');
    const done = new Set(rows.map((row) => row.id));
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO public.planmap_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.id} (${migration.name}) failed: ${(error as Error).message}`, { cause: error });
      }
      logger.info({ migration: migration.id, migrationName: migration.name }, 'migration applied');
      applied.push(migration.id);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}
