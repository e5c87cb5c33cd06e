import type { Pool, PoolClient } from '../../core/db/pool.js';
import type { SourceFingerprint } from './source-fingerprint.js';

/**
 * What earlier imports of a dataset read, from `meta.import_jobs.source`: the fingerprint of the
 * delivery each job started from. The scheduler asks it whether a delivery is new.
 */
export interface ImportHistory {
  /** Where this exact content stands: imported already, refused by QA, or never judged. */
  verdictOn(datasetId: string, fingerprint: string): Promise<ContentVerdict>;
}

export type ContentVerdict =
  /** The last succeeded import read exactly this content. */
  | { readonly state: 'imported'; readonly jobId: number }
  /** An import of exactly this content failed QA after the last success: wait for a new delivery. */
  | { readonly state: 'refused'; readonly jobId: number }
  | { readonly state: 'new' };

/** Stores the fingerprint of the delivery a job is reading, in the job's `source` record. */
export async function recordSourceFingerprint(client: PoolClient, jobId: number, source: SourceFingerprint): Promise<void> {
  await client.query(`UPDATE meta.import_jobs SET source = source || $2::jsonb WHERE id = $1`, [
    jobId,
    JSON.stringify({ fingerprint: source.fingerprint, files: source.files }),
  ]);
}

/**
 * The history in the database. The fingerprint is written when a job starts reading, so a job
 * records what it read even when the delivery changes while it runs (the next check then sees
 * the newer content as new). A QA refusal counts only after the last success: putting back a
 * delivery that failed before, after a good one, is imported again.
 */
export function databaseImportHistory(pool: Pool): ImportHistory {
  return {
    async verdictOn(datasetId, fingerprint) {
      const { rows } = await pool.query<{ imported_job: string | null; imported_fingerprint: string | null; refused_job: string | null }>(
        `WITH last_success AS (
           SELECT id, source->>'fingerprint' AS fingerprint FROM meta.import_jobs
            WHERE dataset_id = $1 AND status = 'succeeded' ORDER BY id DESC LIMIT 1
         )
         SELECT (SELECT id FROM last_success) AS imported_job,
                (SELECT fingerprint FROM last_success) AS imported_fingerprint,
                (SELECT id FROM meta.import_jobs
                  WHERE dataset_id = $1 AND status = 'failed' AND qa_report IS NOT NULL AND version IS NULL
                    AND source->>'fingerprint' = $2 AND id > coalesce((SELECT id FROM last_success), 0)
                  ORDER BY id DESC LIMIT 1) AS refused_job`,
        [datasetId, fingerprint],
      );
      const row = rows[0]!;
      if (row.imported_job !== null && row.imported_fingerprint === fingerprint) return { state: 'imported', jobId: Number(row.imported_job) };
      if (row.refused_job !== null) return { state: 'refused', jobId: Number(row.refused_job) };
      return { state: 'new' };
    },
  };
}
