import { escapeIdentifier, escapeLiteral } from 'pg';
import type { DatasetConfig } from '../../core/config/schema.js';
import { qualifiedVersionTable, versionTableDdl, type AttributeColumn } from '../../core/db/dataset-layout.js';
import type { Pool, PoolClient } from '../../core/db/pool.js';
import { withClient } from '../../core/db/with-client.js';
import type { Logger } from '../../core/logger.js';
import { publishVersion, pruneVersions, registerVersion, reserveVersion } from './dataset-versions.js';

export interface VersionFill {
  readonly dataset: DatasetConfig;
  readonly jobId: number;
  /** The committed work table (pipeline/load/prepare-geometries.ts). */
  readonly work: string;
  readonly columns: readonly AttributeColumn[];
}

/** A version being filled beside the QA checks, waiting for their verdict. */
export interface VersionBesideQa {
  /** Publishes the filled version (switch live, prune, COMMIT); resolves with its number. */
  publish(): Promise<number>;
  /** Rolls the version back (table, number and all) and waits until its connection is free. */
  discard(): Promise<void>;
}

/**
 * The import's new version, filled while the QA checks run instead of after them: one
 * transaction on a connection of its own reserves the number, creates and fills the version
 * table, builds its indexes and registers it (status `staged`), then waits for the verdict.
 * Published (meta.publish_version, prune, COMMIT) when QA passed, rolled back when it failed
 * or threw. Nothing of it is visible to another session before the COMMIT, so the live version
 * stays exactly as it was until then, as with a publish after QA.
 *
 * Why: the fill, its two GiST indexes and ANALYZE are seconds of one CPU (3 s of 5 at 300,000
 * parcels, 19 s at 1,000,000), and during QA a CPU is often idle (the short checks end long
 * before the overlap check). The transaction holds the dataset row (reserveVersion) meanwhile,
 * which only another publish or rollback of this dataset waits for.
 *
 * It needs a connection of the pool beside the import's and the QA lane's for the whole QA: with
 * a pool of fewer than three, waiting for one would deadlock, so the version is then filled
 * after QA on the import's own connection (`client`), in one transaction as well.
 */
export function fillVersionBesideQa(pool: Pool, client: PoolClient, logger: Logger, fill: VersionFill): VersionBesideQa {
  if ((pool.options.max ?? 10) < CONNECTIONS_NEEDED) return fillVersionAfterQa(client, fill);
  let decide: (publish: boolean) => void = () => undefined;
  const verdict = new Promise<boolean>((resolve) => (decide = resolve));
  const run = withClient(pool, logger, (client) => fillAndPublish(client, fill, verdict));
  // A failed fill is reported by publish() (or swallowed by discard()), whichever comes; until
  // then its rejection must not count as unhandled.
  run.catch(() => undefined);
  return {
    async publish() {
      decide(true);
      const version = await run;
      if (version === null) throw new Error('the version filled beside QA was rolled back');
      return version;
    },
    async discard() {
      decide(false);
      await run.catch(() => undefined);
    },
  };
}

/** The import's connection, a QA lane's and the one filling the version. */
const CONNECTIONS_NEEDED = 3;

/** The same transaction on `client`, once QA passed. */
function fillVersionAfterQa(client: PoolClient, fill: VersionFill): VersionBesideQa {
  return {
    async publish() {
      return (await fillAndPublish(client, fill, Promise.resolve(true)))!;
    },
    async discard() {},
  };
}

/**
 * One transaction: fill the version, then publish it (switch live, prune, COMMIT) when the
 * verdict is to publish, else roll it back and resolve null. Any error rolls back and throws.
 */
async function fillAndPublish(client: PoolClient, fill: VersionFill, verdict: Promise<boolean>): Promise<number | null> {
  await client.query('BEGIN');
  try {
    await client.query('SET LOCAL statement_timeout = 0');
    const version = await fillVersion(client, fill);
    if (!(await verdict)) {
      await client.query('ROLLBACK');
      return null;
    }
    await publishVersion(client, fill.dataset.id, version);
    await pruneVersions(client, fill.dataset.id, fill.dataset.keepVersions);
    await client.query('COMMIT');
    return version;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The version table, filled from the work table in feature order, indexed and registered; returns its number. */
async function fillVersion(client: PoolClient, { dataset, jobId, work, columns }: VersionFill): Promise<number> {
  const version = await reserveVersion(client, dataset.id);
  await client.query(versionTableDdl(dataset.id, version, columns));
  const names = columns.map((column) => escapeIdentifier(column.name));
  const values = columns.map((column) => `(properties->>${escapeLiteral(column.name)})::${column.type}`);
  await client.query(`INSERT INTO ${qualifiedVersionTable(dataset.id, version)} (${[...names, 'geom'].join(', ')})
    SELECT ${[...values, 'geom'].join(', ')} FROM ${work} WHERE geom IS NOT NULL ORDER BY source_file, feature_index`);
  await registerVersion(client, { datasetId: dataset.id, version, importJobId: jobId });
  return version;
}
