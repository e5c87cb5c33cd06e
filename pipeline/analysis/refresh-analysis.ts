import type { AppConfig } from '../../core/config/load-config.js';
import { undeclaredAnalysisDatasets, type ComparisonConfig } from '../../core/config/analysis-schema.js';
import type { DatasetConfig } from '../../core/config/schema.js';
import type { Pool, PoolClient } from '../../core/db/pool.js';
import { withClient } from '../../core/db/with-client.js';
import { ConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { conflictInputIds, readAnalysisInputs, readLiveDatasets, sameVersions } from './analysis-inputs.js';
import { CHANGE_COLUMNS, compareVersions, insertChangeRows, storeChangeSummary, type ChangeSummaryRow } from './compare-versions.js';
import { computeConflicts, CONFLICT_COLUMNS, insertConflictRows, type ConflictSummary } from './compute-conflicts.js';
import { createCountyTable } from './county-assignment.js';
import { publishFilledVersion } from '../publish/filled-version.js';
import { computeLanduseStatistics } from './landuse-statistics.js';

/**
 * Brings the derived datasets and statistics up to date with the live versions: the conflicts
 * (with the control-line, conflict and land-use statistics) when any of their inputs changed,
 * and each configured comparison when its dataset has a new live version. Each is one
 * transaction, so a failure leaves the previous results live and complete.
 *
 * Idempotent: a run records the input versions it read (meta.analysis_runs.inputs), and the next
 * call with the same live versions does nothing, so it is safe to call after every publish from
 * every process (the import, the sample loader, a NOTIFY listener). Runs are serialised across
 * processes by an advisory lock; the second waits, then finds nothing to do.
 */
export interface RefreshResult {
  readonly conflicts: ConflictRun | null;
  readonly comparisons: readonly ComparisonRun[];
}

export interface ConflictRun {
  readonly runId: number;
  readonly inputs: Readonly<Record<string, number>>;
  /** The published conflicts version, or null when no check could run or the dataset is not declared. */
  readonly version: number | null;
  readonly summary: ConflictSummary;
}

export interface ComparisonRun {
  readonly datasetId: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly target: string;
  readonly version: number;
  readonly summary: readonly ChangeSummaryRow[];
}

/** Any constant works, as long as every process of the application uses the same one. */
const ANALYSIS_LOCK_KEY = 0x616e616c; // "anal"

export async function refreshAnalysis(pool: Pool, config: AppConfig, logger: Logger): Promise<RefreshResult> {
  if (!config.analysis.enabled) return { conflicts: null, comparisons: [] };
  const undeclared = undeclaredAnalysisDatasets(config);
  if (undeclared.length > 0) logger.warn({ undeclared }, `${config.configFile}: the analysis names datasets that are not declared; their checks are skipped`);
  return withClient(pool, logger, async (client) => {
    // Overlays of a city's parcels take longer than the pool's per-request deadline.
    await client.query('SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1)', [ANALYSIS_LOCK_KEY]);
    try {
      const conflicts = await inTransaction(client, () => refreshConflicts(client, config, logger));
      const comparisons: ComparisonRun[] = [];
      for (const [i, comparison] of config.analysis.comparisons.entries()) {
        const run = await inTransaction(client, () => refreshComparison(client, config, comparison, i, logger));
        if (run) comparisons.push(run);
      }
      return { conflicts, comparisons };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ANALYSIS_LOCK_KEY]).catch(() => undefined);
      await client.query('RESET statement_timeout').catch(() => undefined);
    }
  });
}

/** True when a publish of `datasetId` changes something the analysis derives. */
export function isAnalysisInput(config: AppConfig, datasetId: string): boolean {
  return conflictInputIds(config).includes(datasetId) || config.analysis.comparisons.some((comparison) => comparison.dataset === datasetId);
}

/**
 * The hook for publishers: after a publish of `datasetId`, refresh what depends on it. Never
 * throws: the publish has happened and stays; a failed analysis is logged and retried by the
 * next call (its inputs still differ from the last recorded run).
 */
export async function analyseAfterPublish(pool: Pool, config: AppConfig, datasetId: string, logger: Logger): Promise<RefreshResult | null> {
  if (!config.analysis.enabled || !isAnalysisInput(config, datasetId)) return null;
  try {
    return await refreshAnalysis(pool, config, logger);
  } catch (error) {
    logger.error({ err: error, dataset: datasetId }, 'analysis after publish failed; the previous results stay live');
    return null;
  }
}

async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function refreshConflicts(client: PoolClient, config: AppConfig, logger: Logger): Promise<ConflictRun | null> {
  const inputs = await readAnalysisInputs(client, config);
  if (Object.keys(inputs.versions).length === 0) return null;
  const subject = config.analysis.conflictsDataset;
  const { rows: last } = await client.query<{ inputs: Record<string, number>; area_method: string }>(
    `SELECT inputs, area_method FROM meta.analysis_runs WHERE kind = 'conflicts' AND subject = $1 AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`,
    [subject],
  );
  if (last[0] && sameVersions(last[0].inputs, inputs.versions) && last[0].area_method === config.analysis.areaMethod) return null;
  const started = Date.now();
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO meta.analysis_runs (kind, subject, inputs, area_method) VALUES ('conflicts', $1, $2, $3) RETURNING id`,
    [subject, JSON.stringify(inputs.versions), config.analysis.areaMethod],
  );
  const runId = Number(rows[0]!.id);
  if (inputs.landuse) {
    // County names of the land-use statistics come from the same county table.
    await createCountyTable(client, config, inputs.boundary);
    await computeLanduseStatistics(client, config, inputs.landuse);
    await client.query('DROP TABLE analysis_county');
  }
  const summary = await computeConflicts(client, config, inputs, runId);
  const dataset = findDataset(config, subject);
  let version: number | null = null;
  if (summary.checked && dataset) {
    ({ version } = await publishFilledVersion(client, dataset, CONFLICT_COLUMNS, (table) => insertConflictRows(client, table, runId)));
  }
  await client.query(
    `UPDATE meta.analysis_runs SET output_dataset = $2, output_version = $3, summary = $4, finished_at = now() WHERE id = $1`,
    [runId, version === null ? null : subject, version, JSON.stringify(summary)],
  );
  logger.info({ run: runId, inputs: inputs.versions, version, ms: Date.now() - started, skipped: summary.skipped }, 'conflicts analysed');
  return { runId, inputs: inputs.versions, version, summary };
}

async function refreshComparison(client: PoolClient, config: AppConfig, comparison: ComparisonConfig, index: number, logger: Logger): Promise<ComparisonRun | null> {
  const live = (await readLiveDatasets(client, config, [comparison.dataset])).get(comparison.dataset);
  if (!live) return null;
  const fromVersion = await previousVersion(client, comparison.dataset, live.version);
  if (fromVersion === null) return null;
  const inputs = { from: fromVersion, to: live.version };
  const { rows: last } = await client.query<{ inputs: Record<string, number> }>(
    `SELECT inputs FROM meta.analysis_runs WHERE kind = 'changes' AND subject = $1 AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`,
    [comparison.dataset],
  );
  if (last[0] && sameVersions(last[0].inputs, inputs)) return null;
  const target = findDataset(config, comparison.target);
  if (!target) throw new ConfigError(`${config.configFile}: analysis.comparisons[${index}].target: dataset "${comparison.target}" is not declared`);
  await requireKeyField(client, config, comparison, index, [fromVersion, live.version]);
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO meta.analysis_runs (kind, subject, inputs, area_method) VALUES ('changes', $1, $2, $3) RETURNING id`,
    [comparison.dataset, JSON.stringify(inputs), config.analysis.areaMethod],
  );
  const runId = Number(rows[0]!.id);
  const options = { datasetId: comparison.dataset, fromVersion, toVersion: live.version, keyField: comparison.keyField, toleranceM: comparison.toleranceM, areaMethod: config.analysis.areaMethod };
  await compareVersions(client, options);
  const summary = await storeChangeSummary(client, options);
  const { version } = await publishFilledVersion(client, target, CHANGE_COLUMNS, (table) => insertChangeRows(client, table, options));
  await client.query(
    `UPDATE meta.analysis_runs SET output_dataset = $2, output_version = $3, summary = $4, finished_at = now() WHERE id = $1`,
    [runId, target.id, version, JSON.stringify(summary)],
  );
  logger.info({ run: runId, dataset: comparison.dataset, from: fromVersion, to: live.version, version }, 'versions compared');
  return { datasetId: comparison.dataset, fromVersion, toVersion: live.version, target: target.id, version, summary };
}

/** The newest version older than `version` that still exists (pruned ones cannot be compared). */
export async function previousVersion(client: PoolClient, datasetId: string, version: number): Promise<number | null> {
  const { rows } = await client.query<{ version: number }>(
    'SELECT max(version) AS version FROM meta.dataset_versions WHERE dataset_id = $1 AND version < $2',
    [datasetId, version],
  );
  return rows[0]?.version ?? null;
}

async function requireKeyField(client: PoolClient, config: AppConfig, comparison: ComparisonConfig, index: number, versions: readonly number[]): Promise<void> {
  const tables = versions.map((version) => `${comparison.dataset}__v${version}`);
  const { rows } = await client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns WHERE table_schema = 'data' AND table_name = ANY ($1) AND column_name = $2`,
    [tables, comparison.keyField],
  );
  const missing = tables.filter((table) => !rows.some((row) => row.table_name === table));
  if (missing.length > 0) {
    throw new ConfigError(`${config.configFile}: analysis.comparisons[${index}].keyField: "${comparison.keyField}" is not a column of ${missing.map((t) => `data.${t}`).join(', ')}`);
  }
}

function findDataset(config: AppConfig, id: string): DatasetConfig | undefined {
  return config.datasets.find((dataset) => dataset.id === id);
}
