import type { DatasetConfig } from '../../core/config/schema.js';
import type { Pool } from '../../core/db/pool.js';
import type { ImportOptions, ImportPhase } from '../import/import-dataset.js';
import { ImportRunningError } from '../import/import-lock.js';
import { upsertDataset } from '../publish/dataset-versions.js';
import { importLockHeldSql, markAbandonedJobs } from './abandoned-jobs.js';
import { JOB_COLUMNS, jobFromRow, type ImportJob, type JobRow, type JobStatus } from './import-job.js';

/**
 * meta.import_jobs as the job runner, the admin API and the CLI see it. Reads first mark the
 * jobs whose process died (abandoned-jobs.ts), so that a job never shows `running` forever.
 */

export interface NewJob {
  readonly trigger: ImportOptions['trigger'];
  readonly startedBy: string;
  /** host:pid of the process that will run it. */
  readonly runner: string;
}

/**
 * Creates a `queued` job for the dataset, or throws ImportRunningError when the dataset already
 * has an unfinished job or its import lock is held (an import of the CLI, another replica).
 * Check and insert are one transaction under a per-dataset transaction lock, so two replicas
 * asked at the same moment cannot both queue a job.
 */
export async function queueImportJob(pool: Pool, dataset: DatasetConfig, job: NewJob, staleAfterMs?: number): Promise<ImportJob> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('planmap.import-queue'), hashtext($1))`, [dataset.id]);
    await upsertDataset(client, dataset);
    await markAbandonedJobs(client, { staleAfterMs, datasetId: dataset.id });
    const { rows: busy } = await client.query<{ busy: boolean }>(BUSY_SQL, [dataset.id]);
    if (busy[0]!.busy) throw new ImportRunningError(dataset.id);
    const { rows } = await client.query<JobRow>(
      `INSERT INTO meta.import_jobs (dataset_id, status, trigger, started_by, runner, heartbeat_at)
       VALUES ($1, 'queued', $2, $3, $4, now()) RETURNING ${JOB_COLUMNS}`,
      [dataset.id, job.trigger, job.startedBy, job.runner],
    );
    await client.query('COMMIT');
    return jobFromRow(rows[0]!);
  } catch (error) {
    // A refusal leaves a healthy connection; anything else may have broken it.
    broken = !(error instanceof ImportRunningError);
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release(broken ? true : undefined);
  }
}

const BUSY_SQL = `SELECT EXISTS (SELECT 1 FROM meta.import_jobs WHERE dataset_id = $1 AND status IN ('queued', 'running'))
                      OR ${importLockHeldSql('$1::text')} AS busy`;

export async function getJob(pool: Pool, id: number, staleAfterMs?: number): Promise<ImportJob | null> {
  await markAbandonedJobs(pool, { staleAfterMs, jobId: id });
  const { rows } = await pool.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM meta.import_jobs WHERE id = $1`, [id]);
  return rows[0] ? jobFromRow(rows[0]) : null;
}

export interface JobFilter {
  readonly datasetIds?: readonly string[];
  readonly status?: JobStatus;
  /** Newest first; at most this many. */
  readonly limit: number;
  /** Only jobs with a smaller id (the next page after the last job seen). */
  readonly beforeId?: number;
}

export async function listJobs(pool: Pool, filter: JobFilter, staleAfterMs?: number): Promise<ImportJob[]> {
  await markAbandonedJobs(pool, { staleAfterMs });
  const { rows } = await pool.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM meta.import_jobs
      WHERE ($1::text[] IS NULL OR dataset_id = ANY ($1))
        AND ($2::text IS NULL OR status = $2)
        AND ($3::bigint IS NULL OR id < $3)
      ORDER BY id DESC LIMIT $4`,
    [filter.datasetIds ?? null, filter.status ?? null, filter.beforeId ?? null, filter.limit],
  );
  return rows.map(jobFromRow);
}

/** The newest job of each dataset given (datasets without any job are absent). */
export async function lastJobs(pool: Pool, datasetIds: readonly string[], staleAfterMs?: number): Promise<Map<string, ImportJob>> {
  await markAbandonedJobs(pool, { staleAfterMs });
  const { rows } = await pool.query<JobRow>(
    `SELECT DISTINCT ON (dataset_id) ${JOB_COLUMNS} FROM meta.import_jobs
      WHERE dataset_id = ANY ($1) ORDER BY dataset_id, id DESC`,
    [datasetIds],
  );
  return new Map(rows.map((row) => [row.dataset_id, jobFromRow(row)]));
}

export interface ProgressUpdate {
  readonly phase: ImportPhase;
  readonly filesTotal: number;
  readonly filesDone: number;
  readonly bytesTotal: number | null;
  readonly bytesDone: number;
  readonly featuresDone: number;
}

/** Progress of an unfinished job; also counts as a heartbeat. */
export async function recordProgress(pool: Pool, id: number, progress: ProgressUpdate): Promise<void> {
  await pool.query(
    `UPDATE meta.import_jobs
        SET phase = $2, files_total = $3, files_done = $4, bytes_total = $5, bytes_done = $6, features_done = $7, heartbeat_at = now()
      WHERE id = $1`,
    [id, progress.phase, progress.filesTotal, progress.filesDone, progress.bytesTotal, progress.bytesDone, progress.featuresDone],
  );
}

export async function recordHeartbeat(pool: Pool, id: number): Promise<void> {
  await pool.query(`UPDATE meta.import_jobs SET heartbeat_at = now() WHERE id = $1 AND status IN ('queued', 'running')`, [id]);
}

/** Records why a job failed, unless it has already ended (the import records its own end). */
export async function failUnfinishedJob(pool: Pool, id: number, message: string): Promise<void> {
  await pool.query(
    `UPDATE meta.import_jobs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1 AND status IN ('queued', 'running')`,
    [id, message],
  );
}

/** Whether the dataset has an unfinished job or its import lock is held, in any process. */
export async function isImporting(pool: Pool, datasetId: string): Promise<boolean> {
  const { rows } = await pool.query<{ busy: boolean }>(BUSY_SQL, [datasetId]);
  return rows[0]!.busy;
}
