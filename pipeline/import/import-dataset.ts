import { escapeIdentifier } from 'pg';
import type { AppConfig } from '../../core/config/load-config.js';
import type { DatasetConfig } from '../../core/config/schema.js';
import { DATA_SCHEMA, type AttributeColumn, type AttributeType } from '../../core/db/dataset-layout.js';
import type { Pool, PoolClient } from '../../core/db/pool.js';
import { withClient } from '../../core/db/with-client.js';
import { ImportError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { copyToStaging, stagingTableDdl } from '../load/copy-to-staging.js';
import { fillWorkTable, indexWorkTable, parsedStaging } from '../load/prepare-geometries.js';
import { upsertDataset } from '../publish/dataset-versions.js';
import { fillVersionBesideQa } from '../publish/version-beside-qa.js';
import type { QaFinding, QaReport } from '../qa/qa-report.js';
import { runQaChecks } from '../qa/run-qa.js';
import type { FieldInfo } from '../readers/feature-source.js';
import { checkDeliveryCoordinates } from './delivery-checks.js';
import { lockDatasetImport } from './import-lock.js';
import { openDelivery } from './open-delivery.js';
import { resolveSourceFiles } from './source-files.js';
import { recordSourceFingerprint } from '../schedule/import-history.js';
import { fingerprintSourceFiles } from '../schedule/source-fingerprint.js';

export interface ImportOptions {
  readonly trigger: 'cli' | 'schedule' | 'admin' | 'startup' | 'sample';
  /** Who started it (a user, `cron`, `npm start`), recorded with the job. */
  readonly startedBy: string;
  readonly signal?: AbortSignal;
  /**
   * Called as the import goes: every 1000 features read, after each file and at each phase
   * change. A promise returned at a phase change is awaited (so that a job record can show the
   * phase before the import moves on); during reading it is not, so it must never reject.
   */
  readonly onProgress?: (progress: ImportProgress) => void | Promise<void>;
  /**
   * A job row created beforehand (status `queued`, by the job runner) that this run takes over;
   * without it the import creates its own job row.
   */
  readonly jobId?: number;
}

export type ImportPhase = 'read' | 'prepare' | 'qa' | 'publish';

export interface ImportProgress {
  readonly phase: ImportPhase;
  /** The file being read ('' before the first one and after the reading phase). */
  readonly file: string;
  /** Features read from `file` so far. */
  readonly features: number;
  /** Features `file` says it holds (FeatureSource.featureCount), for an ETA; null when unknown. */
  readonly fileFeatures: number | null;
  /** Features read from all files so far. */
  readonly featuresDone: number;
  /** The delivery's files as resolved from `source.path`, and how many are read completely. */
  readonly files: readonly string[];
  readonly filesDone: number;
}

export interface ImportResult {
  readonly jobId: number;
  /** The published version, or null when QA failed and nothing was published. */
  readonly version: number | null;
  readonly report: QaReport;
}

/**
 * Imports a dataset's delivery and publishes it as a new version, or leaves the live version
 * exactly as it was: read every file (streaming) into an UNLOGGED staging table with COPY,
 * repair and transform in SQL, run the QA checks while the version table is filled in a
 * transaction of its own, and only when none fails publish it in that transaction (else roll it
 * back). Staging tables of a run that crashed are dropped by the next run of the same dataset.
 * Throws ImportError for a delivery that cannot be read.
 *
 * The import ends at the publish: refreshing what derives from the dataset (pipeline/analysis)
 * is a job of its own, as it can take longer than the import. A server's publish listener
 * (server/analysis/start-analysis.ts) starts it on the NOTIFY of the publish; `planmap-cli
 * import` runs refreshAnalysis after printing the import's result.
 */
export async function importDataset(pool: Pool, config: AppConfig, datasetId: string, options: ImportOptions, logger: Logger): Promise<ImportResult> {
  const dataset = config.datasets.find((candidate) => candidate.id === datasetId);
  if (!dataset) throw new ImportError({ file: config.configFile }, `no dataset "${datasetId}" is declared (declared: ${config.datasets.map((d) => d.id).join(', ')})`);
  return withClient(pool, logger, async (client) => {
    let unlock: (() => Promise<void>) | null = null;
    let jobId = 0;
    try {
      // Bulk statements (the work table, QA joins over a county's parcels) run for minutes; the
      // pool's per-statement deadline is meant for tiles. RESET in `finally` restores it before
      // the connection goes back to the pool.
      await client.query('SET statement_timeout = 0');
      unlock = await lockDatasetImport(client, dataset.id);
      await dropLeftovers(client, dataset.id, options.jobId);
      await upsertDataset(client, dataset);
      jobId = options.jobId === undefined ? await createJob(client, dataset.id, options) : await takeOverJob(client, dataset.id, options.jobId);
      const result = await runImport(client, pool, config, dataset, jobId, options, logger);
      await finishJob(client, jobId, result.version === null ? 'failed' : 'succeeded', result.report, result.version, null);
      return result;
    } catch (error) {
      if (jobId) await finishJob(client, jobId, 'failed', null, null, (error as Error).message).catch(() => undefined);
      throw error;
    } finally {
      if (jobId) await dropWorkTables(client, dataset.id, jobId).catch(() => undefined);
      if (unlock) await unlock().catch(() => undefined);
      await client.query('RESET statement_timeout').catch(() => undefined);
    }
  });
}

async function runImport(client: PoolClient, pool: Pool, config: AppConfig, dataset: DatasetConfig, jobId: number, options: ImportOptions, logger: Logger): Promise<ImportResult> {
  const { staging, work } = workTables(dataset.id, jobId);
  const files = await resolveSourceFiles(config, dataset);
  // What this job read, so that a scheduled check can tell a new delivery from this one.
  await recordSourceFingerprint(client, jobId, await fingerprintSourceFiles(config, files));
  await client.query(stagingTableDdl(staging));
  let featuresRead = 0;
  let filesDone = 0;
  const progress = (phase: ImportPhase, file = '', features = 0, fileFeatures: number | null = null) =>
    options.onProgress?.({ phase, file, features, fileFeatures, featuresDone: featuresRead + features, files, filesDone });
  await progress('read');
  const fields = new Map<string, FieldInfo>();
  const deliveryFindings: QaFinding[] = [];
  for (const file of files) {
    for await (const opened of openDelivery(file, dataset)) {
      try {
        for (const field of opened.source.fields) mergeField(fields, field, opened.source.file);
        featuresRead += await copyToStaging(client, staging, opened.source, opened.srid, {
          signal: options.signal,
          onProgress: ({ features }) => void progress('read', opened.source.file, features, opened.source.featureCount),
        });
      } finally {
        await opened.source.close();
      }
      logger.info({ file: opened.source.file, srid: opened.srid, features: featuresRead }, 'delivery file staged');
    }
    filesDone++;
    void progress('read');
  }
  await progress('prepare');
  deliveryFindings.push(...(await checkDeliveryCoordinates(client, parsedStaging(staging), dataset)));
  await fillWorkTable(client, pool, logger, work, staging);
  await indexWorkTable(client, work);
  const boundaryDatasetId = config.datasets.find((candidate) => candidate.kind === 'admin_boundary' && candidate.id !== dataset.id)?.id ?? null;
  await progress('qa');
  // The version is filled and indexed in a transaction of its own while QA runs, and
  // published only when QA passed (pipeline/publish/version-beside-qa.ts).
  const columns: AttributeColumn[] = [...fields.values()].map((field) => ({ name: field.name, type: columnType(field) }));
  const next = fillVersionBesideQa(pool, client, logger, { dataset, jobId, work, columns });
  try {
    const report = await runQaChecks(client, work, dataset, { featuresRead, extraFindings: deliveryFindings, boundaryDatasetId, pool, logger });
    if (!report.passed) {
      await next.discard();
      return { jobId, version: null, report };
    }
    await progress('publish');
    const version = await next.publish();
    return { jobId, version, report };
  } catch (error) {
    // Never leave the version's transaction waiting for a verdict (after publish(), a no-op).
    await next.discard();
    throw error;
  }
}

function columnType(field: FieldInfo): AttributeType {
  switch (field.type) {
    case 'integer': return 'bigint';
    case 'number': return 'double precision';
    case 'boolean': return 'boolean';
    case 'date': return 'date';
    default: return 'text';
  }
}

/** Files of one delivery must agree on field types; a field that is a number in one and text in another becomes text. */
function mergeField(fields: Map<string, FieldInfo>, field: FieldInfo, file: string): void {
  if (!/^[^\0]{1,63}$/u.test(field.name) || Buffer.byteLength(field.name) > 63) {
    throw new ImportError({ file, field: field.name }, 'field names must be 1 to 63 bytes long');
  }
  const known = fields.get(field.name);
  if (!known) fields.set(field.name, field);
  else if (known.type !== field.type) fields.set(field.name, { name: field.name, type: 'string' });
}

function workTables(datasetId: string, jobId: number): { staging: string; work: string } {
  return {
    staging: `${escapeIdentifier(DATA_SCHEMA)}.${escapeIdentifier(`${datasetId}__staging_${jobId}`)}`,
    work: `${escapeIdentifier(DATA_SCHEMA)}.${escapeIdentifier(`${datasetId}__work_${jobId}`)}`,
  };
}

async function dropWorkTables(client: PoolClient, datasetId: string, jobId: number): Promise<void> {
  const { staging, work } = workTables(datasetId, jobId);
  await client.query(`DROP TABLE IF EXISTS ${staging}, ${work}`);
}

/** Staging and work tables of runs that died (killed process, lost database) before cleaning up. */
async function dropLeftovers(client: PoolClient, datasetId: string, ownJobId: number | undefined): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 AND tablename ~ $2`,
    [DATA_SCHEMA, `^${datasetId}__(staging|work)_[0-9]+$`],
  );
  for (const row of rows) await client.query(`DROP TABLE IF EXISTS ${escapeIdentifier(DATA_SCHEMA)}.${escapeIdentifier(row.name)}`);
  // Holding the lock, any other `running` job of the dataset is dead. `queued` ones are a job
  // runner's, not started yet (pipeline/jobs: they fail on the lock, or go stale, by themselves).
  await client.query(
    `UPDATE meta.import_jobs SET status = 'failed', finished_at = now(), error = 'interrupted: the importing process ended before finishing'
      WHERE dataset_id = $1 AND status = 'running' AND id IS DISTINCT FROM $2::bigint`,
    [datasetId, ownJobId ?? null],
  );
}

async function createJob(client: PoolClient, datasetId: string, options: ImportOptions): Promise<number> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO meta.import_jobs (dataset_id, status, trigger, started_by, started_at) VALUES ($1, 'running', $2, $3, now()) RETURNING id`,
    [datasetId, options.trigger, options.startedBy],
  );
  return Number(rows[0]!.id);
}

/** Marks a job queued by the job runner as running; refuses one that is not this dataset's or no longer queued. */
async function takeOverJob(client: PoolClient, datasetId: string, jobId: number): Promise<number> {
  const { rowCount } = await client.query(
    `UPDATE meta.import_jobs SET status = 'running', started_at = now() WHERE id = $1 AND dataset_id = $2 AND status = 'queued'`,
    [jobId, datasetId],
  );
  if (rowCount !== 1) throw new Error(`import job ${jobId} is not a queued job of dataset "${datasetId}"`);
  return jobId;
}

async function finishJob(client: PoolClient, jobId: number, status: 'succeeded' | 'failed', report: QaReport | null, version: number | null, error: string | null): Promise<void> {
  await client.query(
    `UPDATE meta.import_jobs
        SET status = $2, finished_at = now(), qa_report = $3, version = $4, error = $5,
            counts = jsonb_build_object('read', $6::int, 'loaded', $7::int, 'rejected', $8::int)
      WHERE id = $1`,
    [jobId, status, report ? JSON.stringify(report) : null, version, error, report?.featuresRead ?? 0, report?.featuresLoaded ?? 0, report?.featuresRejected ?? 0],
  );
}
