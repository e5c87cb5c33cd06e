import { performance } from 'node:perf_hooks';
import { parseConfig, readConfigFile, resolveConfigFile, type AppConfig } from '../../core/config/load-config.js';
import { createPool, type Pool } from '../../core/db/pool.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { refreshAnalysis } from '../../pipeline/analysis/refresh-analysis.js';
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

/**
 * importDataset, timed, then the analysis refresh that follows a publish as its own job (as
 * `planmap-cli import` runs it after printing the import's result), timed apart, and the result
 * line on stdout. The statement timeline stops at the end of the import.
 */
async function runImport(pool: Pool, config: AppConfig, logger: Logger, timeline: StatementTimeline): Promise<void> {
  const rssBeforeBytes = process.memoryUsage().rss;
  const startedMs = performance.now();
  const startedCpuMs = processCpuMs();
  const { report, version } = await importDataset(pool, config, DATASET_ID, { trigger: 'cli', startedBy: 'bench:import' }, logger);
  const endedMs = performance.now();
  const endedCpuMs = processCpuMs();
  const phases = timeline.phases(endedMs, endedCpuMs);
  timeline.detach();
  const maxRssBytesOfImport = process.resourceUsage().maxRSS * 1024;
  const analysisSeconds = version === null ? 0 : await secondsOf(() => refreshAnalysis(pool, config, logger));
  const output: ChildResult = {
    seconds: (endedMs - startedMs) / 1000,
    analysisSeconds,
    featuresRead: report.featuresRead,
    featuresLoaded: report.featuresLoaded,
    version,
    qaPassed: report.passed,
    qaSummary: summariseQa(report),
    phases,
    rssBeforeBytes,
    // ru_maxrss, which Node gives in kilobytes: of the import, and with the analysis after it.
    maxRssBytes: maxRssBytesOfImport,
    maxRssBytesWithAnalysis: process.resourceUsage().maxRSS * 1024,
    cpuSeconds: (endedCpuMs - startedCpuMs) / 1000,
  };
  process.stdout.write(`${CHILD_RESULT_MARKER}${JSON.stringify(output)}\n`);
}

async function secondsOf(work: () => Promise<unknown>): Promise<number> {
  const startedMs = performance.now();
  await work();
  return (performance.now() - startedMs) / 1000;
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
