import type { PoolClient } from '../../core/db/pool.js';
import type { DatasetConfig } from '../../core/config/schema.js';
import {
  DATA_SCHEMA,
  qualifiedVersionTable,
  versionIndexesDdl,
  versionTableName,
} from '../../core/db/dataset-layout.js';
import { escapeIdentifier } from 'pg';
import { NotFoundError } from '../../core/errors.js';

/**
 * The life of a dataset version: reserve a number, register the loaded table, publish it
 * (meta.publish_version), drop versions beyond the retention. Every function runs on the
 * caller's client, so the caller decides the transaction.
 */

/** Makes sure the dataset row exists (title and kind follow the configuration). */
export async function upsertDataset(client: PoolClient, dataset: DatasetConfig): Promise<void> {
  await client.query(
    `INSERT INTO meta.datasets (id, kind, title) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, title = EXCLUDED.title`,
    [dataset.id, dataset.kind, dataset.title],
  );
}

/**
 * The next version number. Locks the dataset row until the transaction ends, so that two
 * concurrent imports of one dataset cannot take the same number.
 */
export async function reserveVersion(client: PoolClient, datasetId: string): Promise<number> {
  await client.query('SELECT 1 FROM meta.datasets WHERE id = $1 FOR UPDATE', [datasetId]);
  const { rows } = await client.query<{ next: number }>(
    `SELECT coalesce(max(version), 0) + 1 AS next FROM meta.dataset_versions WHERE dataset_id = $1`,
    [datasetId],
  );
  // A crashed run may have left a table with this number but no version row.
  await client.query(`DROP TABLE IF EXISTS ${qualifiedVersionTable(datasetId, rows[0]!.next)}`);
  return rows[0]!.next;
}

/** Indexes, statistics and the version row of a loaded version table (status `staged`). */
export async function registerVersion(
  client: PoolClient,
  { datasetId, version, importJobId }: { datasetId: string; version: number; importJobId: number | null },
): Promise<{ featureCount: number; bounds: [number, number, number, number] | null }> {
  for (const ddl of versionIndexesDdl(datasetId, version)) await client.query(ddl);
  const table = qualifiedVersionTable(datasetId, version);
  await client.query(`ANALYZE ${table}`);
  const { rows } = await client.query<{ feature_count: string; w: number | null; s: number; e: number; n: number }>(
    `SELECT feature_count, ST_XMin(ext) AS w, ST_YMin(ext) AS s, ST_XMax(ext) AS e, ST_YMax(ext) AS n
       FROM (SELECT count(*) AS feature_count, ST_Extent(geom) AS ext FROM ${table}) summary`,
  );
  const row = rows[0]!;
  const featureCount = Number(row.feature_count);
  const bounds = row.w === null ? null : ([row.w, row.s, row.e, row.n] as [number, number, number, number]);
  await client.query(
    `INSERT INTO meta.dataset_versions (dataset_id, version, table_name, feature_count, bounds, import_job_id)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [datasetId, version, versionTableName(datasetId, version), featureCount, bounds, importJobId],
  );
  return { featureCount, bounds };
}

export async function publishVersion(client: PoolClient, datasetId: string, version: number): Promise<void> {
  await client.query('SELECT meta.publish_version($1, $2)', [datasetId, version]);
}

/** Drops retired versions beyond the newest `keep` (the live one is never dropped). */
export async function pruneVersions(client: PoolClient, datasetId: string, keep: number): Promise<string[]> {
  const { rows } = await client.query<{ version: number; table_name: string }>(
    `SELECT version, table_name FROM meta.dataset_versions
      WHERE dataset_id = $1 AND status = 'retired'
      ORDER BY version DESC OFFSET $2`,
    [datasetId, keep],
  );
  for (const row of rows) {
    await client.query(`DROP TABLE IF EXISTS ${escapeIdentifier(DATA_SCHEMA)}.${escapeIdentifier(row.table_name)}`);
    await client.query('DELETE FROM meta.dataset_versions WHERE dataset_id = $1 AND version = $2', [datasetId, row.version]);
  }
  return rows.map((row) => row.table_name);
}

export interface VersionRow {
  readonly version: number;
  readonly status: 'staged' | 'live' | 'retired';
  readonly featureCount: number;
  readonly createdAt: Date;
  readonly publishedAt: Date | null;
  readonly importJobId: number | null;
}

export async function listVersions(client: PoolClient, datasetId: string): Promise<VersionRow[]> {
  const { rows } = await client.query<{ version: number; status: VersionRow['status']; feature_count: string; created_at: Date; published_at: Date | null; import_job_id: string | null }>(
    `SELECT version, status, feature_count, created_at, published_at, import_job_id
       FROM meta.dataset_versions WHERE dataset_id = $1 ORDER BY version DESC`,
    [datasetId],
  );
  return rows.map((row) => ({
    version: row.version,
    status: row.status,
    featureCount: Number(row.feature_count),
    createdAt: row.created_at,
    publishedAt: row.published_at,
    importJobId: row.import_job_id === null ? null : Number(row.import_job_id),
  }));
}

/**
 * Makes an earlier version live again: the given one, or else the newest retired version
 * older than the live one. Returns the version now live. Throws NotFoundError when there is
 * nothing to roll back to.
 */
export async function rollbackDataset(client: PoolClient, datasetId: string, version?: number): Promise<number> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ live_version: number | null }>('SELECT live_version FROM meta.datasets WHERE id = $1 FOR UPDATE', [datasetId]);
    if (rows.length === 0) throw new NotFoundError(`unknown dataset "${datasetId}"`);
    const live = rows[0]!.live_version;
    const target = version ?? (await previousVersion(client, datasetId, live));
    if (target === null) throw new NotFoundError(`dataset "${datasetId}" has no earlier version to roll back to`);
    const { rows: exists } = await client.query('SELECT 1 FROM meta.dataset_versions WHERE dataset_id = $1 AND version = $2', [datasetId, target]);
    if (exists.length === 0) throw new NotFoundError(`dataset "${datasetId}" has no version ${target} (it may have been pruned)`);
    await publishVersion(client, datasetId, target);
    await client.query('COMMIT');
    return target;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function previousVersion(client: PoolClient, datasetId: string, live: number | null): Promise<number | null> {
  const { rows } = await client.query<{ version: number }>(
    `SELECT version FROM meta.dataset_versions
      WHERE dataset_id = $1 AND status = 'retired' AND ($2::int IS NULL OR version < $2)
      ORDER BY version DESC LIMIT 1`,
    [datasetId, live],
  );
  return rows[0]?.version ?? null;
}
