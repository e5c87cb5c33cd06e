import type { DatasetConfig } from '../../core/config/schema.js';
import { qualifiedVersionTable, versionTableDdl, type AttributeColumn } from '../../core/db/dataset-layout.js';
import type { PoolClient } from '../../core/db/pool.js';
import { publishVersion, pruneVersions, registerVersion, reserveVersion, upsertDataset } from './dataset-versions.js';

/**
 * Publishes a version whose rows are made in SQL rather than imported (the derived datasets
 * conflicts and changes, the bundled sample) exactly as imports publish theirs: a new
 * `data.<id>__v<N>` table, registered, switched live with meta.publish_version (so tiles,
 * NOTIFY and rollback treat it like any other) and pruned to `keepVersions`. Runs in the
 * caller's transaction; `fill` receives the quoted table name and inserts the rows.
 */
export async function publishFilledVersion(
  client: PoolClient,
  dataset: DatasetConfig,
  columns: readonly AttributeColumn[],
  fill: (qualifiedTable: string) => Promise<void>,
): Promise<{ version: number; featureCount: number }> {
  await upsertDataset(client, dataset);
  const version = await reserveVersion(client, dataset.id);
  await client.query(versionTableDdl(dataset.id, version, columns));
  await fill(qualifiedVersionTable(dataset.id, version));
  const { featureCount } = await registerVersion(client, { datasetId: dataset.id, version, importJobId: null });
  await publishVersion(client, dataset.id, version);
  await pruneVersions(client, dataset.id, dataset.keepVersions);
  return { version, featureCount };
}
