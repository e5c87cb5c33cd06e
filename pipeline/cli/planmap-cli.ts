import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { loadConfig, type AppConfig } from '../../core/config/load-config.js';
import { isDatabaseUnavailable } from '../../core/db/database-errors.js';
import { migrate } from '../../core/db/migrate.js';
import { createPool, type Pool } from '../../core/db/pool.js';
import { AppError, ConfigError, ImportError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { isAnalysisInput, refreshAnalysis, type RefreshResult } from '../analysis/refresh-analysis.js';
import { importDataset } from '../import/import-dataset.js';
import { ImportRunningError } from '../import/import-lock.js';
import { listVersions, rollbackDataset } from '../publish/dataset-versions.js';
import { formatQaReport } from '../qa/qa-report.js';
import { JOBS_USAGE, runJobsCommand } from './jobs-command.js';
import { runTokensCommand, TOKENS_USAGE } from './tokens-command.js';
import { runSeedCommand, SEED_USAGE } from './seed-command.js';
import { EXPORT_MBTILES_USAGE, runExportMbtilesCommand } from './export-mbtiles-command.js';
import { fileEta } from './file-eta.js';

const USAGE = `Usage: npm run cli -- <command> [arguments]

Commands:
  import <dataset>              import the dataset's delivery (config: datasets[].source) and
                                publish it as a new version when QA passes; then refresh the
                                analysis that derives from it (conflicts, statistics, changes)
  rollback <dataset> [version]  make an earlier version live (default: the one before the live one)
  versions <dataset>            list the dataset's versions
${JOBS_USAGE}
${TOKENS_USAGE}
${SEED_USAGE}
${EXPORT_MBTILES_USAGE}
  --help                        this text

Exit codes: 0 done; 1 unexpected failure; 2 bad command line or configuration;
3 QA failed (nothing published); 4 delivery refused (unreadable, wrong CRS...);
5 the dataset is already being imported; 6 database unavailable; 7 nothing to roll back to
(or no such job or token).`;

export const EXIT = { ok: 0, failure: 1, usage: 2, qaFailed: 3, refused: 4, running: 5, databaseUnavailable: 6, notFound: 7 } as const;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'jobs') return runJobsCommand(argv.slice(1), EXIT);
  if (argv[0] === 'tokens') return runTokensCommand(argv.slice(1), EXIT);
  if (argv[0] === 'seed') return runSeedCommand(argv.slice(1), EXIT);
  if (argv[0] === 'export-mbtiles') return runExportMbtilesCommand(argv.slice(1), EXIT);
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean' } } });
  const [command, datasetId, versionText] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (!['import', 'rollback', 'versions'].includes(command) || !datasetId) {
    console.error(`${command && !['import', 'rollback', 'versions'].includes(command) ? `unknown command "${command}"` : `${command} needs a dataset id`}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const config = loadConfig();
  if (!config.datasets.some((dataset) => dataset.id === datasetId)) {
    console.error(`no dataset "${datasetId}" in ${config.configFile} (declared: ${config.datasets.map((dataset) => dataset.id).join(', ')})`);
    return EXIT.usage;
  }
  const logger = createLogger('planmap-cli', process.env.LOG_LEVEL ?? 'warn');
  const pool = createPool({ url: config.databaseUrl, database: config.database, applicationName: 'planmap-cli', logger });
  try {
    await migrate(pool, logger);
    if (command === 'import') return await runImport(pool, config, datasetId);
    if (command === 'versions') return await printVersions(pool, datasetId);
    const version = versionText === undefined ? undefined : Number(versionText);
    if (version !== undefined && !Number.isInteger(version)) {
      console.error(`version "${versionText}" is not a whole number`);
      return EXIT.usage;
    }
    const client = await pool.connect();
    try {
      const live = await rollbackDataset(client, datasetId, version);
      console.log(`${datasetId}: version ${live} is live`);
      return EXIT.ok;
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}

async function runImport(pool: Pool, config: AppConfig, datasetId: string): Promise<number> {
  const bar = new SingleBar({
    format: '{file} | {value} features | {speed} features/s | {duration_formatted}{eta}',
    stream: process.stderr,
    noTTYOutput: false,
  });
  const started = Date.now();
  // The current file's own start, for its rate and ETA (files can differ a lot in speed).
  let file = '';
  let fileStarted = started;
  bar.start(0, 0, { file: '', speed: 0, eta: '' });
  const result = await importDataset(pool, config, datasetId, {
    trigger: 'cli',
    startedBy: process.env.USER ?? 'cli',
    onProgress: (progress) => {
      if (progress.file !== file) {
        file = progress.file;
        fileStarted = Date.now();
      }
      const seconds = (Date.now() - started) / 1000;
      bar.update(progress.featuresDone, {
        file: file || progress.phase,
        speed: Math.round(progress.featuresDone / Math.max(seconds, 0.001)),
        eta: fileEta(progress.features, progress.fileFeatures, (Date.now() - fileStarted) / 1000),
      });
    },
  }, createLogger('planmap-cli', process.env.LOG_LEVEL ?? 'warn')).finally(() => bar.stop());
  console.log(formatQaReport(result.report));
  if (result.version === null) return EXIT.qaFailed;
  console.log(`${datasetId}: version ${result.version} is live (job ${result.jobId})`);
  await refreshAnalysisAfterImport(pool, config, datasetId);
  return EXIT.ok;
}

/**
 * The import ends at its publish (importDataset); what derives from the dataset follows here, as
 * a step the user sees, since it can take longer than the import. A failure leaves the previous
 * results live and the import published, so the exit code stays 0; the message says so, and the
 * next import, or a running server's publish listener, retries.
 */
async function refreshAnalysisAfterImport(pool: Pool, config: AppConfig, datasetId: string): Promise<void> {
  if (!config.analysis.enabled || !isAnalysisInput(config, datasetId)) return;
  console.log(`${datasetId}: refreshing the analysis (conflicts, statistics, version changes)...`);
  const started = Date.now();
  try {
    const result = await refreshAnalysis(pool, config, createLogger('planmap-cli', process.env.LOG_LEVEL ?? 'warn'));
    console.log(`analysis refreshed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${describeRefresh(result)}`);
  } catch (error) {
    console.error(`analysis not refreshed: ${error instanceof Error ? error.message : String(error)}; ` +
      'the previous results stay live (the next import, or a running server, retries)');
  }
}

function describeRefresh(result: RefreshResult): string {
  const parts = [
    ...(result.conflicts ? [`conflicts run ${result.conflicts.runId}${result.conflicts.version === null ? '' : ` (version ${result.conflicts.version})`}`] : []),
    ...result.comparisons.map((run) => `${run.datasetId} v${run.fromVersion} → v${run.toVersion} compared, ${run.target} version ${run.version}`),
  ];
  return parts.length > 0 ? parts.join('; ') : 'already up to date';
}

async function printVersions(pool: Pool, datasetId: string): Promise<number> {
  const client = await pool.connect();
  try {
    const versions = await listVersions(client, datasetId);
    if (versions.length === 0) console.log(`${datasetId}: no versions yet`);
    for (const row of versions) {
      console.log(`${String(row.version).padStart(4)}  ${row.status.padEnd(7)}  ${String(row.featureCount).padStart(9)} features  created ${row.createdAt.toISOString()}` +
        (row.importJobId ? `  job ${row.importJobId}` : ''));
    }
    return EXIT.ok;
  } finally {
    client.release();
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof ImportRunningError) return EXIT.running;
  if (error instanceof ImportError) return EXIT.refused;
  if (error instanceof ConfigError) return EXIT.usage;
  if (error instanceof AppError && error.status === 404) return EXIT.notFound;
  if (isDatabaseUnavailable(error) || (error instanceof AppError && error.status === 503)) return EXIT.databaseUnavailable;
  return EXIT.failure;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(exitCodeFor(error));
  },
);
