import { createTask, type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { DatasetConfig } from '../../core/config/schema.js';
import type { Logger } from '../../core/logger.js';
import { ImportRunningError } from '../import/import-lock.js';
import type { CheckSource } from './check-source.js';
import type { LeadScheduledRun } from './schedule-lock.js';

/** What the scheduler asks of whoever runs imports (importDataset, or the job runner). */
export interface ScheduledImportRequest {
  readonly trigger: 'schedule';
  readonly startedBy: string;
  /** Aborted when the scheduler stops (shutdown): the import fails cleanly, live untouched. */
  readonly signal: AbortSignal;
}

/**
 * Runs one import of the dataset and settles when it has ended (published, refused by QA, or
 * failed). Rejects with ImportRunningError when another process holds the dataset's import lock.
 */
export type RunScheduledImport = (datasetId: string, request: ScheduledImportRequest) => Promise<unknown>;

export type TickOutcome =
  /** The source changed and an import ran to its end (its job says whether it published). */
  | 'import-ran'
  | 'unchanged'
  /** The same delivery failed QA before; waiting for a new one. */
  | 'refused'
  /** No delivery to read (empty inbox, a file vanished while hashing). */
  | 'unavailable'
  /** This process's previous run of the dataset is still going. */
  | 'overlapping'
  /** Another replica holds the dataset's schedule lock for this tick. */
  | 'led-elsewhere'
  /** Another process (CLI, admin API, a replica) is importing the dataset. */
  | 'running-elsewhere'
  /** The check or the import failed; the error is logged. */
  | 'failed'
  /** The scheduler was stopping. */
  | 'stopped';

export interface ImportSchedulerDeps {
  /** Every configured dataset; those with a `schedule` get a cron task. */
  readonly datasets: readonly DatasetConfig[];
  readonly checkSource: CheckSource;
  readonly runImport: RunScheduledImport;
  readonly lead: LeadScheduledRun;
  readonly logger: Logger;
  /** Recorded as the job's `started_by`. */
  readonly startedBy?: string;
  /** Told the outcome of every tick (tests, metrics). */
  readonly onTick?: (datasetId: string, outcome: TickOutcome) => void;
}

/**
 * Fires each scheduled dataset's check on its cron (node-cron, in the dataset's time zone) and
 * imports when the source's content changed. Overlap is refused at three levels: a dataset's
 * tick while its previous one is still running in this process is skipped; across replicas
 * one leader per dataset runs the tick (schedule lock); and the import's own lock keeps out a
 * concurrent CLI or admin import. No tick ever throws into node-cron: every outcome is logged.
 */
export class ImportScheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly inFlight = new Map<string, Promise<TickOutcome>>();
  private readonly stopping = new AbortController();
  private readonly scheduled: readonly DatasetConfig[];

  constructor(private readonly deps: ImportSchedulerDeps) {
    this.scheduled = deps.datasets.filter((dataset) => dataset.schedule !== undefined);
  }

  /** Creates and starts one cron task per scheduled dataset. */
  start(): void {
    if (this.tasks.length > 0 || this.stopping.signal.aborted) throw new Error('the import scheduler can be started once');
    const cronLogger = adaptLogger(this.deps.logger);
    for (const dataset of this.scheduled) {
      const schedule = dataset.schedule!;
      const task = createTask(schedule.cron, () => this.tick(dataset.id), { name: `import:${dataset.id}`, timezone: schedule.timezone, logger: cronLogger });
      this.tasks.push(task);
      void task.start();
      this.deps.logger.info({ dataset: dataset.id, cron: schedule.cron, timezone: schedule.timezone, next: task.getNextRun() }, 'import scheduled');
    }
  }

  /** The next firing of each scheduled dataset's check. */
  nextRuns(): { dataset: string; next: Date | null }[] {
    return this.tasks.map((task, i) => ({ dataset: this.scheduled[i]!.id, next: task.getNextRun() }));
  }

  /**
   * Stops the cron tasks, aborts running scheduled imports (each fails cleanly and leaves live
   * as it was) and waits for them to end.
   */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the server is shutting down'));
    await Promise.all(this.tasks.splice(0).map((task) => task.destroy()));
    await Promise.allSettled(this.inFlight.values());
  }

  /** One check of a dataset, as its cron firing runs it. Never rejects. */
  tick(datasetId: string): Promise<TickOutcome> {
    const dataset = this.scheduled.find((candidate) => candidate.id === datasetId);
    if (!dataset) return Promise.reject(new Error(`dataset "${datasetId}" has no schedule`));
    if (this.stopping.signal.aborted) return Promise.resolve(this.report(datasetId, 'stopped'));
    const running = this.inFlight.get(datasetId);
    if (running) {
      this.deps.logger.warn({ dataset: datasetId }, 'scheduled import check skipped: the previous one is still running');
      return Promise.resolve(this.report(datasetId, 'overlapping'));
    }
    const run = this.runTick(dataset)
      .catch((error: unknown) => {
        this.deps.logger.error({ err: error, dataset: datasetId }, 'scheduled import failed');
        return 'failed' as const;
      })
      .then((outcome) => this.report(datasetId, outcome))
      .finally(() => this.inFlight.delete(datasetId));
    this.inFlight.set(datasetId, run);
    return run;
  }

  private async runTick(dataset: DatasetConfig): Promise<TickOutcome> {
    const { logger } = this.deps;
    const lease = await this.deps.lead(dataset.id);
    if (!lease) {
      logger.info({ dataset: dataset.id }, 'scheduled import check left to the replica running it');
      return 'led-elsewhere';
    }
    try {
      const check = await this.deps.checkSource(dataset);
      switch (check.state) {
        case 'unavailable':
          logger.warn({ dataset: dataset.id, problem: check.problem }, 'scheduled import check: no delivery to read');
          return 'unavailable';
        case 'unchanged':
          logger.debug({ dataset: dataset.id, fingerprint: check.fingerprint, job: check.jobId }, 'scheduled import check: delivery unchanged');
          return 'unchanged';
        case 'refused':
          logger.info({ dataset: dataset.id, fingerprint: check.fingerprint, job: check.jobId }, 'scheduled import check: delivery unchanged since QA refused it');
          return 'refused';
        case 'changed':
          break;
      }
      if (this.stopping.signal.aborted) return 'stopped';
      logger.info({ dataset: dataset.id, fingerprint: check.fingerprint, files: check.files }, 'scheduled import: the delivery changed, importing');
      try {
        await this.deps.runImport(dataset.id, { trigger: 'schedule', startedBy: this.deps.startedBy ?? 'cron', signal: this.stopping.signal });
      } catch (error) {
        if (!(error instanceof ImportRunningError)) throw error;
        logger.info({ dataset: dataset.id }, 'scheduled import skipped: another process is importing the dataset');
        return 'running-elsewhere';
      }
      return 'import-ran';
    } finally {
      await lease.release();
    }
  }

  private report(datasetId: string, outcome: TickOutcome): TickOutcome {
    this.deps.onTick?.(datasetId, outcome);
    return outcome;
  }
}

/** node-cron's own messages (missed executions...) go to our logger, not the console. */
function adaptLogger(logger: Logger): CronLogger {
  const child = logger.child({ component: 'node-cron' });
  return {
    info: (message) => child.info(message),
    warn: (message) => child.warn(message),
    error: (message, err) => child.error({ err: err ?? (message instanceof Error ? message : undefined) }, String(message instanceof Error ? message.message : message)),
    debug: (message, err) => child.debug({ err }, String(message instanceof Error ? message.message : message)),
  };
}
