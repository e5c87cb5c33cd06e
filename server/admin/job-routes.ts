import { Router, type Response } from 'express';
import { ForbiddenError } from '../../core/auth/auth-errors.js';
import { mayAdministerDataset, requireDatasetAdministration } from '../../core/auth/permissions.js';
import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import { AppError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ImportJob } from '../../pipeline/jobs/import-job.js';
import type { ImportJobRunner } from '../../pipeline/jobs/import-job-runner.js';
import { getJob, listJobs } from '../../pipeline/jobs/job-store.js';
import { principalOf } from './auth-middleware.js';
import { streamJobEvents, type EventStreams } from './job-events.js';
import { jobView } from './job-view.js';
import { qaReportHtml, qaReportText } from './qa-report-page.js';
import { jobIdParam, jobListQuery } from './request-input.js';

export interface JobRoutesDeps {
  readonly config: AppConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  readonly runner: ImportJobRunner;
  readonly streams: EventStreams;
  readonly eventPollMs: number;
  readonly eventKeepAliveMs: number;
}

/**
 * `GET /jobs` (`?dataset=&status=&limit=&before=`, newest first), `GET /jobs/{id}`,
 * `GET /jobs/{id}/events` (server-sent events), `GET /jobs/{id}/report` (JSON, text or HTML).
 * Editors see the jobs of their counties' datasets only.
 */
export function createJobRoutes(deps: JobRoutesDeps): Router {
  const { config, pool, runner } = deps;
  const router = Router();

  router.get('/jobs', async (req, res) => {
    const query = jobListQuery(req);
    const principal = principalOf(res);
    let datasetIds: string[] | undefined = query.dataset === undefined ? undefined : [query.dataset];
    if (principal.role !== 'admin') {
      const administered = config.datasets.filter((dataset) => mayAdministerDataset(principal, dataset)).map((dataset) => dataset.id);
      if (query.dataset !== undefined && !administered.includes(query.dataset)) {
        throw new ForbiddenError(`token ${principal.tokenId} may not see the jobs of dataset "${query.dataset}"`);
      }
      datasetIds ??= administered;
    }
    const jobs = await listJobs(pool, { datasetIds, status: query.status, limit: query.limit, beforeId: query.before }, runner.staleAfterMs);
    res.json({ jobs: jobs.map((job) => jobView(job, req.baseUrl)) });
  });

  router.get('/jobs/:id', async (req, res) => {
    const job = await visibleJob(deps, res, jobIdParam(req.params.id));
    res.json({ job: jobView(job, req.baseUrl) });
  });

  router.get('/jobs/:id/events', async (req, res) => {
    const job = await visibleJob(deps, res, jobIdParam(req.params.id));
    streamJobEvents(req, res, job, { pool, runner, logger: deps.logger, streams: deps.streams, pollMs: deps.eventPollMs, keepAliveMs: deps.eventKeepAliveMs });
  });

  router.get('/jobs/:id/report', async (req, res) => {
    const job = await visibleJob(deps, res, jobIdParam(req.params.id));
    const report = job.qaReport;
    if (!report) {
      throw new NotFoundError(`job ${job.id} has no QA report (status ${job.status}${job.phase ? `, phase ${job.phase}` : ''}${job.error ? `: ${job.error}` : ''})`);
    }
    const type = req.accepts(['application/json', 'text/html', 'text/plain']);
    if (type === 'text/html') res.type('html').send(qaReportHtml(job, report));
    else if (type === 'text/plain') res.type('text').send(qaReportText(job, report));
    else if (type === 'application/json') res.json({ job: job.id, dataset: job.datasetId, status: job.status, version: job.version, report });
    else throw new AppError(406, 'not_acceptable', 'the QA report is available as application/json, text/html or text/plain');
  });

  return router;
}

/** The job, when it exists and the token may see it (admins: all; editors: their counties' datasets). */
async function visibleJob({ config, pool, runner }: JobRoutesDeps, res: Response, id: number): Promise<ImportJob> {
  const job = await getJob(pool, id, runner.staleAfterMs);
  if (!job) throw new NotFoundError(`no import job ${id}`);
  const principal = principalOf(res);
  if (principal.role !== 'admin') {
    const dataset = config.datasets.find((candidate) => candidate.id === job.datasetId) ?? { id: job.datasetId };
    requireDatasetAdministration(principal, dataset);
  }
  return job;
}
