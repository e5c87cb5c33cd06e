import type { Pool, PoolClient } from '../../core/db/pool.js';

/**
 * Whether a dataset's import lock (pipeline/import/import-lock.ts: the session advisory lock
 * keyed `hashtext('planmap.import'), hashtext(<dataset>)`) is held by any session of this
 * database, as an SQL expression over a dataset id expression. pg_locks shows a two-int4 key
 * as classid/objid with objsubid 2. Reading pg_locks takes no lock of its own.
 */
export function importLockHeldSql(datasetIdSql: string): string {
  return `EXISTS (SELECT 1 FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid = hashtext('planmap.import')::oid AND l.objid = hashtext(${datasetIdSql})::oid)`;
}

/** How long a queued job may go without a heartbeat before it counts as abandoned. */
export const DEFAULT_STALE_AFTER_MS = 30_000;

export const ABANDONED_MESSAGE = 'abandoned: the process running this import stopped before it finished';

/**
 * Marks as failed the jobs whose process died, so that nothing shows `running` forever:
 * - `running` jobs whose dataset's import lock nobody holds (an import holds it from before it
 *   marks its job running until after it records the end, and a dead process's connection
 *   drops it at once);
 * - `queued` jobs (created by a job runner, not yet started) whose heartbeat is older than
 *   `staleAfterMs` while nobody holds the lock.
 * Limited to one job or one dataset when given. Returns the ids marked.
 */
export async function markAbandonedJobs(
  db: Pool | PoolClient,
  { staleAfterMs = DEFAULT_STALE_AFTER_MS, jobId, datasetId }: { staleAfterMs?: number; jobId?: number; datasetId?: string } = {},
): Promise<number[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE meta.import_jobs j
        SET status = 'failed', finished_at = now(), error = $4
      WHERE j.status IN ('queued', 'running')
        AND ($2::bigint IS NULL OR j.id = $2)
        AND ($3::text IS NULL OR j.dataset_id = $3)
        AND (j.status = 'running' OR coalesce(j.heartbeat_at, j.created_at) < now() - make_interval(secs => $1::double precision / 1000))
        AND NOT ${importLockHeldSql('j.dataset_id')}
      RETURNING j.id`,
    [staleAfterMs, jobId ?? null, datasetId ?? null, ABANDONED_MESSAGE],
  );
  return rows.map((row) => Number(row.id));
}
