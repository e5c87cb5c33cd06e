import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import { isAnalysisInput, refreshAnalysis } from '../../pipeline/analysis/refresh-analysis.js';
import { generateSampleControlLines } from '../../pipeline/sample/sample-control-lines.js';
import { PublishListener } from '../live/publish-listener.js';

/**
 * Keeps the analysis (pipeline/analysis) in step with publishes while the server runs: imports
 * refresh it themselves, but a rollback, or a publish by a process without the hook, is only
 * heard here (LISTEN planmap_publish). Refreshes run one at a time in the background; requests
 * arriving during a run make one more run afterwards. A refresh with nothing new does nothing,
 * so hearing a publish the importer already analysed costs one small query.
 *
 * On a database the server has just filled with the sample, the sample's control lines are
 * published first (in the background: they take longer than the land-use sample itself), so
 * that a fresh start shows conflicts and statistics too.
 */
export interface AnalysisHandle {
  /** Waits for the run in progress (tests, shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartAnalysisOptions {
  readonly pool: Pool;
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Parcel count of the sample just loaded by ensureSampleData, or null when none was. */
  readonly sampleParcels: number | null;
}

export async function startAnalysis({ pool, config, logger, sampleParcels }: StartAnalysisOptions): Promise<AnalysisHandle> {
  const analysisLogger = logger.child({ component: 'analysis' });
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const run = async (first: () => Promise<unknown>) => {
    try {
      await first();
      do {
        again = false;
        await refreshAnalysis(pool, config, analysisLogger);
      } while (again && !stopped);
    } catch (error) {
      analysisLogger.error({ err: error }, 'analysis failed; the previous results stay live');
    }
  };
  const request = (reason: string, first: () => Promise<unknown> = async () => undefined) => {
    if (stopped || !config.analysis.enabled) return;
    if (running) {
      again = true;
      return;
    }
    analysisLogger.debug({ reason }, 'analysis requested');
    running = run(first).finally(() => {
      running = null;
    });
  };

  const listener = new PublishListener({
    connectionString: config.databaseUrl,
    logger: analysisLogger,
    onPublish: (notice) => {
      if (isAnalysisInput(config, notice.dataset)) request(`dataset ${notice.dataset} version ${notice.version} is live`);
    },
    onMissedNotices: (reason) => request(reason),
  });
  await listener.start();
  // Catch up with publishes made while no server was running (a no-op when up to date).
  if (sampleParcels === null) request('start-up');
  else request('sample loaded', () => generateSampleControlLines(pool, config, { parcels: sampleParcels, seed: 'liaocheng' }, analysisLogger));

  return {
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      await listener.stop();
      while (running) await running;
    },
  };
}
