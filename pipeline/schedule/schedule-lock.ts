import type { Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';

/** Held while one replica checks a dataset's source and imports it; `release` gives it up. */
export interface ScheduleLease {
  release(): Promise<void>;
}

/** Decides which replica runs a dataset's scheduled check; null means another one is. */
export type LeadScheduledRun = (datasetId: string) => Promise<ScheduleLease | null>;

/**
 * One leader per dataset per tick, across every replica on the database: a session advisory
 * lock on a connection held for the check and the import. Every replica's cron fires at the
 * same moment; the first to take the lock checks and imports, the others skip. Without it a
 * replica whose check ran during another's import would import the same delivery again once
 * the import lock was free. A replica that dies loses its connection and so the lock.
 *
 * The import itself still takes its own per-dataset lock (pipeline/import/import-lock.ts), which
 * also keeps the CLI and the admin API out while a scheduled import runs.
 */
export function advisoryScheduleLock(pool: Pool, logger: Logger): LeadScheduledRun {
  return async (datasetId) => {
    const client = await pool.connect();
    let lost = false;
    const onError = (error: Error) => {
      lost = true;
      logger.warn({ err: error, dataset: datasetId }, 'schedule lock connection lost');
    };
    client.on('error', onError);
    const giveBack = () => {
      client.removeListener('error', onError);
      client.release(lost ? true : undefined);
    };
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(hashtext('planmap.schedule'), hashtext($1)) AS locked`,
        [datasetId],
      );
      if (!rows[0]?.locked) {
        giveBack();
        return null;
      }
    } catch (error) {
      lost = true;
      giveBack();
      throw error;
    }
    return {
      async release() {
        try {
          if (!lost) await client.query(`SELECT pg_advisory_unlock(hashtext('planmap.schedule'), hashtext($1))`, [datasetId]);
        } catch {
          // The connection is gone, and the lock with it.
          lost = true;
        } finally {
          giveBack();
        }
      },
    };
  };
}
