import type { ImportOptions, ImportPhase } from '../import/import-dataset.js';
import type { QaReport } from '../qa/qa-report.js';

export const jobStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof jobStatuses)[number];

export const finishedStatuses: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isFinished(status: JobStatus): boolean {
  return finishedStatuses.includes(status);
}

export interface JobProgress {
  /** Null until the delivery's files are resolved. */
  readonly filesTotal: number | null;
  readonly filesDone: number;
  /** Size of the delivery's files (a Shapefile with its .dbf, .shx...); null until known. */
  readonly bytesTotal: number | null;
  /** Bytes of the files read completely. */
  readonly bytesDone: number;
  readonly featuresDone: number;
}

/** One import run, as meta.import_jobs records it. */
export interface ImportJob {
  readonly id: number;
  readonly datasetId: string;
  readonly status: JobStatus;
  /** The last phase reached; after the end it shows where a failed run stopped. */
  readonly phase: ImportPhase | null;
  readonly trigger: ImportOptions['trigger'];
  readonly startedBy: string;
  readonly progress: JobProgress;
  /** Features read, loaded and rejected, once QA has run. */
  readonly counts: { readonly read?: number; readonly loaded?: number; readonly rejected?: number };
  /** The version published by this run. */
  readonly version: number | null;
  readonly error: string | null;
  readonly qaReport: QaReport | null;
  /** host:pid of the process running it (null for jobs of the CLI's own imports). */
  readonly runner: string | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly heartbeatAt: Date | null;
  readonly updatedAt: Date;
}

/** The columns of meta.import_jobs that make an ImportJob, for SELECT and RETURNING. */
export const JOB_COLUMNS = `id, dataset_id, status, phase, trigger, started_by, files_total, files_done, bytes_total,
  bytes_done, features_done, counts, version, error, qa_report, runner, created_at, started_at, finished_at,
  heartbeat_at, updated_at`;

export interface JobRow {
  id: string;
  dataset_id: string;
  status: JobStatus;
  phase: ImportPhase | null;
  trigger: ImportOptions['trigger'];
  started_by: string;
  files_total: number | null;
  files_done: number;
  bytes_total: string | null;
  bytes_done: string;
  features_done: string;
  counts: ImportJob['counts'];
  version: number | null;
  error: string | null;
  qa_report: QaReport | null;
  runner: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  heartbeat_at: Date | null;
  updated_at: Date;
}

export function jobFromRow(row: JobRow): ImportJob {
  return {
    id: Number(row.id),
    datasetId: row.dataset_id,
    status: row.status,
    phase: row.phase,
    trigger: row.trigger,
    startedBy: row.started_by,
    progress: {
      filesTotal: row.files_total,
      filesDone: row.files_done,
      bytesTotal: row.bytes_total === null ? null : Number(row.bytes_total),
      bytesDone: Number(row.bytes_done),
      featuresDone: Number(row.features_done),
    },
    counts: row.counts,
    version: row.version,
    error: row.error,
    qaReport: row.qa_report,
    runner: row.runner,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    heartbeatAt: row.heartbeat_at,
    updatedAt: row.updated_at,
  };
}
