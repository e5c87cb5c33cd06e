import { Router, type Request } from 'express';
import { z } from 'zod';
import { actorOf, mayAdministerDataset, requireDatasetAdministration } from '../../core/auth/permissions.js';
import type { AppConfig } from '../../core/config/load-config.js';
import type { DatasetConfig } from '../../core/config/schema.js';
import type { Pool } from '../../core/db/pool.js';
import { withClient } from '../../core/db/with-client.js';
import { AppError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ImportJobRunner } from '../../pipeline/jobs/import-job-runner.js';
import { isImporting, lastJobs } from '../../pipeline/jobs/job-store.js';
import { listVersions, rollbackDataset } from '../../pipeline/publish/dataset-versions.js';
import { publicBaseUrl } from '../http/public-url.js';
import { auditedAction } from './audited-action.js';
import { principalOf } from './auth-middleware.js';
import { parseBody } from './json-body.js';
import { jobView } from './job-view.js';

export interface DatasetRoutesDeps {
  readonly config: AppConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  readonly runner: ImportJobRunner;
}

const importBody = z.strictObject({});
const rollbackBody = z.strictObject({
  /** The version to make live; default: the newest retired one older than the live one. */
  version: z.number().int().positive().optional(),
});

/** Nothing to roll back to, or the version asked for is live already: 409. */
class NothingToRollBackError extends AppError {
  constructor(message: string) {
    super(409, 'nothing_to_roll_back', message);
  }
}

/**
 * `GET /datasets` (each configured dataset the token administers, with live version, versions
 * and last job), `POST /datasets/{id}/imports` (202 with the queued job),
 * `POST /datasets/{id}/rollback` (`{version}` optional).
 */
export function createDatasetRoutes({ config, pool, logger, runner }: DatasetRoutesDeps): Router {
  const router = Router();

  router.get('/datasets', async (req, res) => {
    const principal = principalOf(res);
    const datasets = config.datasets.filter((dataset) => mayAdministerDataset(principal, dataset));
    const ids = datasets.map((dataset) => dataset.id);
    const [live, versions, jobs] = await Promise.all([liveVersions(pool, ids), versionsByDataset(pool, ids), lastJobs(pool, ids, runner.staleAfterMs)]);
    const importing = await Promise.all(ids.map((id) => (runner.isRunning(id) ? true : isImporting(pool, id))));
    res.json({
      datasets: datasets.map((dataset, i) => {
        const job = jobs.get(dataset.id);
        return {
          id: dataset.id,
          title: dataset.title,
          kind: dataset.kind,
          countyCode: dataset.countyCode ?? null,
          source: dataset.source ? { path: dataset.source.path, format: dataset.source.format } : null,
          liveVersion: live.get(dataset.id) ?? null,
          versions: versions.get(dataset.id) ?? [],
          importing: importing[i],
          lastJob: job ? jobView(job, req.baseUrl) : null,
          links: { imports: `${req.baseUrl}/datasets/${dataset.id}/imports`, rollback: `${req.baseUrl}/datasets/${dataset.id}/rollback` },
        };
      }),
    });
  });

  router.post('/datasets/:id/imports', async (req, res) => {
    const dataset = configuredDataset(config, req);
    const job = await auditedAction(pool, logger, req, res, {
      action: 'import.start',
      target: `dataset:${dataset.id}`,
      work: async () => {
        requireDatasetAdministration(principalOf(res), dataset);
        parseBody(importBody, req.body);
        return runner.start(dataset.id, { trigger: 'admin', startedBy: actorOf(principalOf(res)) });
      },
      details: (started) => ({ jobId: started.id }),
    });
    const view = jobView(job, req.baseUrl);
    res.status(202).location(`${publicBaseUrl(req, config.server)}${view.links.self}`).json({ job: view });
  });

  router.post('/datasets/:id/rollback', async (req, res) => {
    const dataset = configuredDataset(config, req);
    const result = await auditedAction(pool, logger, req, res, {
      action: 'dataset.rollback',
      target: `dataset:${dataset.id}`,
      work: async () => {
        requireDatasetAdministration(principalOf(res), dataset);
        const { version } = parseBody(rollbackBody, req.body);
        return rollBack(pool, logger, dataset, version);
      },
      details: (done) => ({ ...done }),
    });
    res.json({ dataset: dataset.id, ...result });
  });

  return router;
}

function configuredDataset(config: AppConfig, req: Request): DatasetConfig {
  const id = req.params.id;
  const dataset = config.datasets.find((candidate) => candidate.id === id);
  if (!dataset) throw new NotFoundError(`no dataset "${id}" is configured`);
  return dataset;
}

async function rollBack(pool: Pool, logger: Logger, dataset: DatasetConfig, version: number | undefined): Promise<{ liveVersion: number; previousVersion: number | null }> {
  return withClient(pool, logger, async (client) => {
    const versions = await listVersions(client, dataset.id);
    const live = versions.find((row) => row.status === 'live')?.version ?? null;
    if (version !== undefined) {
      if (!versions.some((row) => row.version === version)) {
        throw new NotFoundError(`dataset "${dataset.id}" has no version ${version} (kept: ${versions.map((row) => row.version).join(', ') || 'none'})`);
      }
      if (version === live) throw new NothingToRollBackError(`version ${version} of dataset "${dataset.id}" is already live`);
    } else if (!versions.some((row) => row.status === 'retired' && (live === null || row.version < live))) {
      throw new NothingToRollBackError(`dataset "${dataset.id}" has no earlier version to roll back to`);
    }
    try {
      return { liveVersion: await rollbackDataset(client, dataset.id, version), previousVersion: live };
    } catch (error) {
      // Another rollback or a prune got there first.
      if (error instanceof NotFoundError) throw new NothingToRollBackError(error.message);
      throw error;
    }
  });
}

async function liveVersions(pool: Pool, ids: readonly string[]): Promise<Map<string, number | null>> {
  const { rows } = await pool.query<{ id: string; live_version: number | null }>('SELECT id, live_version FROM meta.datasets WHERE id = ANY ($1)', [ids]);
  return new Map(rows.map((row) => [row.id, row.live_version]));
}

interface VersionSummary {
  readonly version: number;
  readonly status: string;
  readonly featureCount: number;
  readonly bounds: number[] | null;
  readonly createdAt: Date;
  readonly publishedAt: Date | null;
  readonly importJobId: number | null;
}

async function versionsByDataset(pool: Pool, ids: readonly string[]): Promise<Map<string, VersionSummary[]>> {
  const { rows } = await pool.query<{ dataset_id: string; version: number; status: string; feature_count: string; bounds: number[] | null; created_at: Date; published_at: Date | null; import_job_id: string | null }>(
    `SELECT dataset_id, version, status, feature_count, bounds, created_at, published_at, import_job_id
       FROM meta.dataset_versions WHERE dataset_id = ANY ($1) ORDER BY dataset_id, version DESC`,
    [ids],
  );
  const byDataset = new Map<string, VersionSummary[]>();
  for (const row of rows) {
    const list = byDataset.get(row.dataset_id) ?? [];
    list.push({
      version: row.version,
      status: row.status,
      featureCount: Number(row.feature_count),
      bounds: row.bounds,
      createdAt: row.created_at,
      publishedAt: row.published_at,
      importJobId: row.import_job_id === null ? null : Number(row.import_job_id),
    });
    byDataset.set(row.dataset_id, list);
  }
  return byDataset;
}
