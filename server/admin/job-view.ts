import type { ImportJob } from '../../pipeline/jobs/import-job.js';
import type { QaReport } from '../../pipeline/qa/qa-report.js';

/** How the admin API shows jobs and QA reports. `base` is where the admin API is mounted (`/admin`). */

export function jobView(job: ImportJob, base: string) {
  return {
    id: job.id,
    dataset: job.datasetId,
    status: job.status,
    phase: job.phase,
    trigger: job.trigger,
    startedBy: job.startedBy,
    progress: job.progress,
    counts: job.counts,
    version: job.version,
    error: job.error,
    qa: job.qaReport ? qaSummary(job.qaReport) : null,
    runner: job.runner,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    heartbeatAt: job.heartbeatAt,
    updatedAt: job.updatedAt,
    links: jobLinks(job.id, base),
  };
}

export function jobLinks(id: number, base: string) {
  return { self: `${base}/jobs/${id}`, events: `${base}/jobs/${id}/events`, report: `${base}/jobs/${id}/report` };
}

/** The QA report without its examples: what the job list and the SSE `qa` event show. */
export function qaSummary(report: QaReport) {
  return {
    passed: report.passed,
    featuresRead: report.featuresRead,
    featuresLoaded: report.featuresLoaded,
    featuresRejected: report.featuresRejected,
    findings: report.findings.map(({ rule, level, count, message }) => ({ rule, level, count, message })),
  };
}

/** What an SSE `progress` event carries. */
export function progressView(job: ImportJob) {
  return { id: job.id, status: job.status, phase: job.phase, ...job.progress };
}
