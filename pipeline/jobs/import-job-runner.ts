import { hostname } from 'node:os';
import type { AppConfig } from '../../core/config/load-config.js';
import type { DatasetConfig } from '../../core/config/schema.js';
import type { Pool } from '../../core/db/pool.js';
import { AppError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { importDataset, type ImportOptions, type ImportPhase, type ImportProgress } from '../import/import-dataset.js';
import { ImportRunningError } from '../import/import-lock.js';
import { DEFAULT_STALE_AFTER_MS, markAbandonedJobs } from './abandoned-jobs.js';
import { bytesIntoFile, deliveryBytes } from './delivery-bytes.js';
import type { ImportJob } from './import-job.js';
import { failUnfinishedJob, queueImportJob, recordHeartbeat, recordProgress, type ProgressUpdate } from './job-store.js';
import { ProgressWriter } from './progress-writer.js';

export interface JobEvent {
  readonly jobId: number;
  /** `progress`: the job row changed; `end`: the run in this process is over (the row says how). */
  readonly type: 'progress' | 'end';
}

export type JobListener = (event: JobEvent) => void;

export interface StartOptions {
  readonly trigger: ImportOptions['trigger'];
  readonly startedBy: string;
}

export interface ImportJobRunnerOptions {
  readonly pool: Pool;
  readonly config: AppConfig;
  readonly logger: Logger;
  /** The import to run; importDataset unless a test wraps it. */
  readonly importer?: typeof importDataset;
  /** How often a running job's heartbeat is written (default 5 s). */
  readonly heartbeatMs?: number;
  /** At most one progress write per this interval while reading (default 500 ms). */
  readonly progressIntervalMs?: number;
  /** A queued job without heartbeat for this long is abandoned (default 30 s). */
  readonly staleAfterMs?: number;
  /** Recorded with each job (default host:pid). */
  readonly runnerName?: string;
}

interface Run {
  jobId: number;
  readonly controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs imports in the background of this process, one per dataset at a time (also across
 * processes: see queueImportJob), each as a job row that shows its phase, progress and
 * heartbeat while it runs. `start` returns as soon as the job is queued.
 */
export class ImportJobRunner {
  readonly staleAfterMs: number;
  private readonly runs = new Map<string, Run>();
  private readonly listeners = new Map<number, Set<JobListener>>();
  private readonly importer: typeof importDataset;
  private readonly heartbeatMs: number;
  private readonly progressIntervalMs: number;
  private readonly runnerName: string;
  private closed = false;

  constructor(private readonly options: ImportJobRunnerOptions) {
    this.importer = options.importer ?? importDataset;
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    this.progressIntervalMs = options.progressIntervalMs ?? 500;
    this.staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.runnerName = options.runnerName ?? `${hostname()}:${process.pid}`;
  }

  /**
   * Queues an import of the dataset and starts it in the background; resolves with the queued
   * job. Throws NotFoundError for a dataset not in the configuration, AppError 409 for one
   * without a source, ImportRunningError (409) when the dataset is already being imported here
   * or anywhere else.
   */
  async start(datasetId: string, { trigger, startedBy }: StartOptions): Promise<ImportJob> {
    if (this.closed) throw new AppError(503, 'shutting_down', 'the server is shutting down; no import can start');
    const dataset = this.options.config.datasets.find((candidate) => candidate.id === datasetId);
    if (!dataset) throw new NotFoundError(`no dataset "${datasetId}" is configured`);
    if (!dataset.source) throw new AppError(409, 'no_source', `dataset "${datasetId}" has no source to import from (datasets[].source in ${this.options.config.configFile})`);
    // Claimed before the first await: two requests of this process cannot both get past here.
    if (this.runs.has(datasetId)) throw new ImportRunningError(datasetId);
    const run: Run = { jobId: 0, controller: new AbortController(), done: Promise.resolve() };
    this.runs.set(datasetId, run);
    let job: ImportJob;
    try {
      job = await queueImportJob(this.options.pool, dataset, { trigger, startedBy, runner: this.runnerName }, this.staleAfterMs);
    } catch (error) {
      this.runs.delete(datasetId);
      throw error;
    }
    run.jobId = job.id;
    run.done = this.run(job, dataset, run.controller.signal).finally(() => this.runs.delete(datasetId));
    return job;
  }

  /** Calls `listener` on each change of the job made by this process; returns the unsubscribe. */
  subscribe(jobId: number, listener: JobListener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  listenerCount(jobId?: number): number {
    if (jobId !== undefined) return this.listeners.get(jobId)?.size ?? 0;
    return [...this.listeners.values()].reduce((sum, set) => sum + set.size, 0);
  }

  isRunning(datasetId: string): boolean {
    return this.runs.has(datasetId);
  }

  /** Resolves when this process's run of the job is over (at once for jobs it does not run). */
  async whenDone(jobId: number): Promise<void> {
    await [...this.runs.values()].find((run) => run.jobId === jobId)?.done;
  }

  /** Marks the jobs of processes that died; called at start-up (reads do it too). */
  async recoverAbandonedJobs(): Promise<number[]> {
    const ids = await markAbandonedJobs(this.options.pool, { staleAfterMs: this.staleAfterMs });
    if (ids.length > 0) this.options.logger.warn({ jobs: ids }, 'import jobs of a process that stopped marked failed');
    return ids;
  }

  /**
   * Refuses new imports, aborts the running ones and waits for them to record their end, or
   * until `deadline` aborts (a run past it is left to the database: its lock goes with the
   * connection, and its job is marked abandoned by the next reader).
   */
  async close(deadline?: AbortSignal): Promise<void> {
    this.closed = true;
    const runs = [...this.runs.values()];
    for (const run of runs) run.controller.abort(new Error('the server is shutting down'));
    const all = Promise.all(runs.map((run) => run.done));
    if (!deadline) return void (await all);
    if (deadline.aborted) return;
    await new Promise<void>((resolve) => {
      deadline.addEventListener('abort', () => resolve(), { once: true });
      void all.then(() => resolve());
    });
  }

  private emit(event: JobEvent): void {
    for (const listener of [...(this.listeners.get(event.jobId) ?? [])]) {
      try {
        listener(event);
      } catch (error) {
        this.options.logger.warn({ err: error, jobId: event.jobId }, 'job listener failed');
      }
    }
  }

  /** Never rejects: every outcome ends up in the job row. */
  private async run(job: ImportJob, dataset: DatasetConfig, signal: AbortSignal): Promise<void> {
    const { pool, config, logger } = this.options;
    const log = logger.child({ jobId: job.id, dataset: dataset.id });
    const warn = (what: string) => (error: unknown) => log.warn({ err: error }, what);
    const writer = new ProgressWriter<ProgressUpdate>(
      (progress) => recordProgress(pool, job.id, progress),
      this.progressIntervalMs,
      () => this.emit({ jobId: job.id, type: 'progress' }),
      warn('cannot record import progress'),
    );
    const heartbeat = setInterval(() => void recordHeartbeat(pool, job.id).catch(warn('cannot record import heartbeat')), this.heartbeatMs);
    heartbeat.unref();
    const onProgress = progressRecorder(writer, warn('cannot measure the delivery'));
    log.info({ trigger: job.trigger, startedBy: job.startedBy }, 'import job started');
    try {
      const result = await this.importer(pool, config, dataset.id, { trigger: job.trigger, startedBy: job.startedBy, jobId: job.id, signal, onProgress }, log);
      await writer.flush();
      log.info({ version: result.version, passed: result.report.passed }, 'import job finished');
    } catch (error) {
      await writer.flush();
      const message = error instanceof Error ? error.message : String(error);
      await failUnfinishedJob(pool, job.id, message).catch(warn('cannot record the import failure'));
      log.warn({ err: error }, 'import job failed');
    } finally {
      clearInterval(heartbeat);
      writer.close();
      this.emit({ jobId: job.id, type: 'end' });
    }
  }
}

/**
 * Turns the import's progress into job-row updates: the delivery's sizes are measured once
 * (when the files are first known), phase changes are written at once, the rest throttled.
 */
function progressRecorder(writer: ProgressWriter<ProgressUpdate>, onError: (error: unknown) => void): (progress: ImportProgress) => Promise<void> {
  let files: readonly string[] | null = null;
  let sizes: number[] = [];
  let phase: ImportPhase | null = null;
  return async (progress) => {
    try {
      if (progress.files !== files) {
        files = progress.files;
        sizes = await deliveryBytes(progress.files);
      }
      const changedPhase = progress.phase !== phase;
      phase = progress.phase;
      await writer.update({
        phase: progress.phase,
        filesTotal: progress.files.length,
        filesDone: progress.filesDone,
        bytesTotal: sum(sizes),
        bytesDone: sum(sizes.slice(0, progress.filesDone)) + bytesIntoFile(sizes[progress.filesDone], progress),
        featuresDone: progress.featuresDone,
      }, changedPhase);
    } catch (error) {
      onError(error);
    }
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
