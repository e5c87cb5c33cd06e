import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { loadConfig } from '../core/config/load-config.js';
import type { Pool } from '../core/db/pool.js';
import { createLogger, type Logger } from '../core/logger.js';
import { projectRoot } from '../core/project-root.js';
import { prepareBenchDatabase, redact } from './support/bench-database.js';
import { gdalVersion, MissingGdalError, ogr2ogrArgs, runGdalImport } from './support/gdal-side.js';
import { compareImports } from './support/import-checks.js';
import { ensureDelivery, type BenchDelivery } from './support/import-delivery.js';
import { parseImportOptions, sampleSizeFor, USAGE, UsageError, type ImportBenchOptions } from './support/import-options.js';
import { formatAgreement, formatPhaseTable, formatRunTable, formatSummaryTable, summariseImports } from './support/import-report.js';
import { IMPORT_APPLICATION_NAME, type ImportRun } from './support/import-run.js';
import { collectMachineInfo, formatMachineInfo } from './support/machine-info.js';
import { runPipelineImport } from './support/pipeline-side.js';
import { terminateImportSessions, WorkIndexWatch } from './support/work-index-watch.js';
import { progress, runBenchmark, type Cleanup } from './support/run-benchmark.js';

/**
 * `npm run bench:import`: features per second of importing one GBK Shapefile in EPSG:4527
 * with the pipeline (every QA check on) and with ogr2ogr, and the pipeline's peak RSS. See
 * bench/README.md.
 */

/**
 * Parcels the import database is given when new, with the county outlines: the outlines make
 * the outsideCounty check run, as it does on a server that holds them; the parcels are replaced
 * by the first import.
 */
const IMPORT_DATABASE_PARCELS = 1_000;

const execFileAsync = promisify(execFile);

/** Returns the exit code: 0, or 1 when QA failed or the two imports disagree. */
async function main(signal: AbortSignal, onCleanup: (cleanup: Cleanup) => void): Promise<number> {
  const options = parseImportOptions(process.argv.slice(2), process.env);
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const gdal = await gdalVersion(process.env);
  const logger = createLogger('bench', process.env.LOG_LEVEL ?? 'warn');
  const delivery = await prepareDelivery(options, logger);
  const pool = await prepareImportDatabase(options, logger);
  onCleanup(() => pool.end());
  const machine = await collectMachineInfo(pool);

  const runs: ImportRun[] = [];
  for (let run = 1; run <= options.runs; run++) {
    // GDAL first: the pipeline then never has the page cache of the .shp to itself.
    await checkpoint(pool);
    signal.throwIfAborted();
    progress(`GDAL run ${run} of ${options.runs}: ogr2ogr ${delivery.sourcePath}`);
    runs.push(await runGdalImport(delivery, run, pool, options.importDatabaseUrl, signal));
    progress(`  ${describe(runs.at(-1)!)}`);
    await checkpoint(pool);
    signal.throwIfAborted();
    progress(`pipeline run ${run} of ${options.runs}: importDataset in a child process`);
    runs.push(await runPipelineWatched(delivery, run, options, pool, signal));
    progress(`  ${describe(runs.at(-1)!)}`);
  }
  const agreement = await compareImports(pool, delivery.featureCount);

  console.log(formatMachineInfo(machine, {
    'load after': loadavg().map((load) => load.toFixed(2)).join(' '),
    pipeline: await describeCommit(),
    gdal,
    delivery: `${delivery.shpPath}: ${delivery.featureCount} features, ${(delivery.bytes / 1e6).toFixed(0)} MB (.shp + .dbf), GBK, EPSG:4527`,
    database: redact(options.importDatabaseUrl),
    order: `${options.runs} run(s) per side, alternating GDAL then pipeline, CHECKPOINT before each`,
    ogr2ogr: ogr2ogrArgs(delivery, options.importDatabaseUrl).join(' '),
  }));
  console.log(`\n${formatRunTable(runs)}`);
  console.log(`\n${formatSummaryTable(summariseImports(runs))}`);
  console.log(`\nPipeline phases (mean of ${options.runs} run(s)):\n\n${formatPhaseTable(runs)}`);
  const lastChild = runs.filter((run) => run.child).at(-1)!.child!;
  console.log(`\nQA (last pipeline run, version ${lastChild.version ?? 'none'}): ${lastChild.qaSummary.join('\n  ')}`);
  console.log(`pipeline RSS before the import (Node, tsx, modules): ${(lastChild.rssBeforeBytes / 1e6).toFixed(0)} MB`);
  console.log(`\nBoth tables:\n${formatAgreement(agreement)}`);

  const failedQa = runs.filter((run) => run.child && !run.child.qaPassed);
  for (const run of failedQa) console.error(`\npipeline run ${run.run}: QA failed, nothing was published`);
  for (const problem of agreement.problems) console.error(`\nthe imports disagree: ${problem}`);
  return failedQa.length === 0 && agreement.problems.length === 0 ? 0 : 1;
}

/**
 * One pipeline import, stopped (child killed, its sessions ended) if WorkIndexWatch sees the
 * overlaps check running without its index, which would take hours.
 */
async function runPipelineWatched(delivery: BenchDelivery, run: number, options: ImportBenchOptions, pool: Pool, signal: AbortSignal): Promise<ImportRun> {
  const stopRun = new AbortController();
  const watch = new WorkIndexWatch(pool, IMPORT_APPLICATION_NAME, (error) => stopRun.abort(error));
  try {
    return await runPipelineImport(delivery, run, {
      databaseUrl: options.importDatabaseUrl,
      dataDir: options.dataDir,
      signal: AbortSignal.any([signal, stopRun.signal]),
    });
  } catch (error) {
    // A killed child's statement goes on in its session, holding the import lock.
    await terminateImportSessions(pool, IMPORT_APPLICATION_NAME);
    throw error;
  } finally {
    await watch.stop();
  }
}

/**
 * The Shapefile, written from the source database's sample the first time; that database is
 * only opened (created, filled) then.
 */
async function prepareDelivery(options: ImportBenchOptions, logger: Logger): Promise<BenchDelivery> {
  const openSource = async () => {
    const config = loadConfig({ ...process.env, DATABASE_URL: options.sourceDatabaseUrl });
    return (await prepareBenchDatabase(config, sampleSizeFor(options.parcels), logger, progress)).pool;
  };
  return ensureDelivery(openSource, options.dataDir, options.parcels, progress);
}

/** The database both import into: created and migrated when missing, county outlines published. */
async function prepareImportDatabase(options: ImportBenchOptions, logger: Logger): Promise<Pool> {
  const config = loadConfig({ ...process.env, DATABASE_URL: options.importDatabaseUrl });
  const { pool } = await prepareBenchDatabase(config, IMPORT_DATABASE_PARCELS, logger, progress);
  const { rows } = await pool.query<{ exists: boolean }>(`SELECT to_regclass('live.county') IS NOT NULL AS exists`);
  if (!rows[0]!.exists) {
    await pool.end();
    throw new Error(`${redact(options.importDatabaseUrl)} holds parcels but no county outlines (live.county), so the outsideCounty check would not run: drop the database and run again`);
  }
  return pool;
}

/**
 * The commit the pipeline was measured at, `+ changes` when pipeline/ or core/ differ from it:
 * the figures belong to that code.
 */
async function describeCommit(): Promise<string> {
  const git = (args: string[]) => execFileAsync('git', args, { cwd: projectRoot }).then(({ stdout }) => stdout.trim());
  try {
    const [commit, changes] = await Promise.all([git(['rev-parse', '--short', 'HEAD']), git(['status', '--porcelain', '--', 'pipeline', 'core'])]);
    return `commit ${commit}${changes ? ' + changes in pipeline/ or core/' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Each import starts without the previous one's dirty pages to write. */
async function checkpoint(pool: Pool): Promise<void> {
  await pool.query('CHECKPOINT');
}

function describe(run: ImportRun): string {
  const rate = run.seconds > 0 ? run.features / run.seconds : 0;
  return `${run.features} features in ${run.seconds.toFixed(1)} s (${rate.toFixed(0)} features/s), peak RSS ${(run.peakRssBytes / 1e6).toFixed(0)} MB`;
}

runBenchmark(main, (error) => error instanceof UsageError || error instanceof MissingGdalError);
