import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import { importDataset } from '../import/import-dataset.js';
import type { ImportJobRunner } from '../jobs/import-job-runner.js';
import { sourceChecker } from './check-source.js';
import { databaseImportHistory } from './import-history.js';
import { ImportScheduler, type RunScheduledImport } from './import-scheduler.js';
import { advisoryScheduleLock } from './schedule-lock.js';

/**
 * The scheduler of a server process: fingerprints checked against `meta.import_jobs`, one
 * leader per dataset through an advisory lock on `pool`, imports run by `runImport`.
 */
export function createImportScheduler({ pool, config, logger, runImport }: { pool: Pool; config: AppConfig; logger: Logger; runImport: RunScheduledImport }): ImportScheduler {
  const schedulerLogger = logger.child({ component: 'import-scheduler' });
  return new ImportScheduler({
    datasets: config.datasets,
    checkSource: sourceChecker(config, databaseImportHistory(pool)),
    runImport,
    lead: advisoryScheduleLock(pool, schedulerLogger),
    logger: schedulerLogger,
  });
}

/** Scheduled imports run in this process with importDataset, and settle when they end. */
export function importInProcess(pool: Pool, config: AppConfig, logger: Logger): RunScheduledImport {
  return (datasetId, request) => importDataset(pool, config, datasetId, request, logger);
}

/**
 * Scheduled imports as jobs of the job runner (progress, events and abandonment like admin
 * imports); settles when the job has ended. The runner aborts its runs itself on shutdown.
 */
export function importThroughJobs(runner: Pick<ImportJobRunner, 'start' | 'whenDone'>): RunScheduledImport {
  return async (datasetId, request) => {
    const job = await runner.start(datasetId, { trigger: request.trigger, startedBy: request.startedBy });
    await runner.whenDone(job.id);
  };
}
