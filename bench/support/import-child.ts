import { performance } from 'node:perf_hooks';
import { parseConfig, readConfigFile, resolveConfigFile, type AppConfig } from '../../core/config/load-config.js';
import { createPool, type Pool } from '../../core/db/pool.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { importDataset } from '../../pipeline/import/import-dataset.js';
import type { QaReport } from '../../pipeline/qa/qa-report.js';
import { CHILD_RESULT_MARKER, IMPORT_APPLICATION_NAME, type ChildResult } from './import-run.js';
import { processCpuMs, StatementTimeline } from './statement-timeline.js';

/**
 * The pipeline side of `npm run bench:import`, a process of its own so that its peak RSS is the
 * import's alone: imports the delivery with the real importDataset, as `planmap-cli import`
 * does (same pool and session settings, every QA check at its configured level), and prints one
 * line of JSON (CHILD_RESULT_MARKER) with the time, the QA outcome, the phases and the memory.
 *
 * Environment: BENCH_IMPORT_DATABASE_URL (the database), BENCH_IMPORT_ROOT (the import root),
 * BENCH_IMPORT_SOURCE_PATH (the .shp, relative to the root), CONFIG_FILE, LOG_LEVEL (default
 * warn; the log goes to stdout, beside the result line).
 */

const DATASET_ID = 'landuse';

function childConfig(env: NodeJS.ProcessEnv): AppConfig {
  const databaseUrl = required(env, 'BENCH_IMPORT_DATABASE_URL');
  const importRoot = required(env, 'BENCH_IMPORT_ROOT');
  const sourcePath = required(env, 'BENCH_IMPORT_SOURCE_PATH');
  const file = resolveConfigFile(env.CONFIG_FILE);
  const raw = readConfigFile(file) as { pipeline?: Record<string, unknown>; datasets?: Record<string, unknown>[] };
  const dataset = raw.datasets?.find((candidate) => candidate.id === DATASET_ID);
  if (!dataset) throw new Error(`${file}: no dataset "${DATASET_ID}" to import into`);
  // Only where the delivery is changes; the QA levels stay as configured.
  raw.pipeline = { ...raw.pipeline, importRoots: [importRoot] };
  dataset.source = { path: sourcePath };
  return parseConfig(raw, file, { DATABASE_URL: databaseUrl });
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: this script is started by bench/import-throughput.ts`);
  return value;
}

async function main(): Promise<void> {
  const config = childConfig(process.env);
  const logger = createLogger('bench-import', process.env.LOG_LEVEL ?? 'warn');
  const pool = createPool({ url: config.databaseUrl, database: config.database, applicationName: IMPORT_APPLICATION_NAME, logger });
  const timeline = new StatementTimeline();
  timeline.attach(pool);
  try {
    await runImport(pool, config, logger, timeline);
  } catch (error) {
    throw new Error(`${(error as Error).message} (in phase: ${timeline.failedPhase() ?? 'before the first statement'})`, { cause: error });
  } finally {
    await pool.end();
  }
}

/** importDataset, timed, and its result line on stdout. */
async function runImport(pool: Pool, config: AppConfig, logger: Logger, timeline: StatementTimeline): Promise<void> {
  const rssBeforeBytes = process.memoryUsage().rss;
  const startedMs = performance.now();
  const startedCpuMs = processCpuMs();
  const { report, version, jobId } = await importDataset(pool, config, DATASET_ID, { trigger: 'cli', startedBy: 'bench:import' }, logger);
  const endedMs = performance.now();
  const endedCpuMs = processCpuMs();
  const analysisSeconds = await secondsSinceJobFinished(pool, jobId);
  const output: ChildResult = {
    seconds: (endedMs - startedMs) / 1000,
    analysisSeconds,
    featuresRead: report.featuresRead,
    featuresLoaded: report.featuresLoaded,
    version,
    qaPassed: report.passed,
    qaSummary: summariseQa(report),
    phases: timeline.phases(endedMs, endedCpuMs),
    rssBeforeBytes,
    // ru_maxrss, which Node gives in kilobytes.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuSeconds: (endedCpuMs - startedCpuMs) / 1000,
  };
  process.stdout.write(`${CHILD_RESULT_MARKER}${JSON.stringify(output)}\n`);
}

/**
 * How long importDataset went on after it finished the job record: the analysis refresh after
 * a publish (its statements fall into the publish phases of the timeline, which cannot tell a
 * second BEGIN ... COMMIT from the publish). Measured on the database's clock, so it includes
 * this query's round trip (about a millisecond).
 */
async function secondsSinceJobFinished(pool: Pool, jobId: number): Promise<number> {
  const { rows } = await pool.query<{ seconds: number }>(
    `SELECT extract(epoch FROM clock_timestamp() - finished_at)::float8 AS seconds FROM meta.import_jobs WHERE id = $1`,
    [jobId],
  );
  return Math.max(0, rows[0]?.seconds ?? 0);
}

/** formatQaReport without the examples: the counts, one line per finding, the verdict. */
function summariseQa(report: QaReport): string[] {
  return [
    `features read ${report.featuresRead}, loaded ${report.featuresLoaded}, rejected ${report.featuresRejected}`,
    ...report.findings.map((finding) => `[${finding.level.toUpperCase()}] ${finding.rule}: ${finding.message}`),
    report.passed ? 'QA passed' : 'QA FAILED: nothing was published',
  ];
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`import child failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
