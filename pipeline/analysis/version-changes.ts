import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool, PoolClient } from '../../core/db/pool.js';
import { withClient } from '../../core/db/with-client.js';
import { BadRequestError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { compareVersions, readChangeSummary, storeChangeSummary, type ChangeSummaryRow } from './compare-versions.js';
import { previousVersion } from './refresh-analysis.js';

/**
 * The change summary of two versions of a dataset, for the admin endpoint: from
 * meta.stat_changes when that pair was compared already (after each publish, live against the
 * version before it), else compared now and stored. `to` defaults to the live version and
 * `from` to the newest version before `to`.
 */
export interface VersionChanges {
  readonly dataset: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly keyField: string;
  readonly toleranceM: number;
  /** The published layer of these changes, when this pair is the one the analysis published last. */
  readonly layer: { readonly dataset: string; readonly version: number } | null;
  readonly summary: readonly ChangeSummaryRow[];
}

/** Long enough to compare two city-wide deliveries; a request should not hold a connection longer. */
const COMPARE_TIMEOUT_MS = 300_000;

export async function versionChanges(
  pool: Pool,
  config: AppConfig,
  logger: Logger,
  request: { datasetId: string; fromVersion: number | null; toVersion: number | null },
): Promise<VersionChanges> {
  const { datasetId } = request;
  const dataset = config.datasets.find((candidate) => candidate.id === datasetId);
  if (!dataset) throw new NotFoundError(`unknown dataset "${datasetId}"`);
  const comparison = config.analysis.comparisons.find((candidate) => candidate.dataset === datasetId);
  const keyField = comparison?.keyField ?? dataset.qa.keyField;
  const toleranceM = comparison?.toleranceM ?? 0.01;
  return withClient(pool, logger, async (client) => {
    const { rows: datasetRows } = await client.query<{ live_version: number | null }>('SELECT live_version FROM meta.datasets WHERE id = $1', [datasetId]);
    const toVersion = request.toVersion ?? datasetRows[0]?.live_version ?? null;
    if (toVersion === null) throw new NotFoundError(`dataset "${datasetId}" has no published version`);
    await requireVersion(client, datasetId, toVersion, 'to');
    const fromVersion = request.fromVersion ?? (await previousVersion(client, datasetId, toVersion));
    if (fromVersion === null) throw new NotFoundError(`dataset "${datasetId}" has no version before ${toVersion} to compare with (parameter from)`);
    if (fromVersion === toVersion) throw new BadRequestError(`parameters from and to name the same version ${toVersion}`);
    await requireVersion(client, datasetId, fromVersion, 'from');
    await requireKey(client, datasetId, [fromVersion, toVersion], keyField);
    let summary = await readChangeSummary(client, datasetId, fromVersion, toVersion);
    if (summary.length === 0) {
      const options = { datasetId, fromVersion, toVersion, keyField, toleranceM, areaMethod: config.analysis.areaMethod };
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL statement_timeout = ${COMPARE_TIMEOUT_MS}`);
        await compareVersions(client, options);
        summary = await storeChangeSummary(client, options);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
    const { rows: layers } = await client.query<{ output_dataset: string; output_version: number }>(
      `SELECT output_dataset, output_version FROM meta.analysis_runs
        WHERE kind = 'changes' AND subject = $1 AND inputs = $2::jsonb AND output_version IS NOT NULL ORDER BY id DESC LIMIT 1`,
      [datasetId, JSON.stringify({ from: fromVersion, to: toVersion })],
    );
    const layer = layers[0] ? { dataset: layers[0].output_dataset, version: layers[0].output_version } : null;
    return { dataset: datasetId, fromVersion, toVersion, keyField, toleranceM, layer, summary };
  });
}

async function requireVersion(client: PoolClient, datasetId: string, version: number, parameter: 'from' | 'to'): Promise<void> {
  const { rows } = await client.query('SELECT 1 FROM meta.dataset_versions WHERE dataset_id = $1 AND version = $2', [datasetId, version]);
  if (rows.length === 0) throw new NotFoundError(`parameter ${parameter}: dataset "${datasetId}" has no version ${version} (it may have been pruned)`);
}

async function requireKey(client: PoolClient, datasetId: string, versions: readonly number[], keyField: string): Promise<void> {
  const tables = versions.map((version) => `${datasetId}__v${version}`);
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(DISTINCT table_name) AS n FROM information_schema.columns WHERE table_schema = 'data' AND table_name = ANY ($1) AND column_name = $2`,
    [tables, keyField],
  );
  if (Number(rows[0]!.n) !== tables.length) {
    throw new BadRequestError(`dataset "${datasetId}" versions ${versions.join(' and ')} cannot be compared: not both have the key field "${keyField}"`);
  }
}
