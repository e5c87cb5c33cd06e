import { parseArgs } from 'node:util';
import { formatQaReport } from '../qa/qa-report.js';
import { jobStatuses, type ImportJob, type JobStatus } from '../jobs/import-job.js';
import { getJob, listJobs } from '../jobs/job-store.js';
import { withCliDatabase, type CommandExits } from './cli-database.js';
import { textTable } from './text-table.js';

export const JOBS_USAGE = `  jobs [list] [--dataset <id>] [--status <status>] [--limit N] [--json]
                                import jobs, newest first (status: ${jobStatuses.join(', ')})
  jobs show <id> [--json]       one job: progress, timings, error and its QA report`;

const MAX_LIMIT = 500;

/** `npm run cli -- jobs ...`: the import jobs of every process (server, CLI, scheduler). */
export async function runJobsCommand(args: readonly string[], exits: CommandExits): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { dataset: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
    });
  } catch (error) {
    return usage(exits, (error as Error).message);
  }
  const { positionals, values } = parsed;
  if (values.help) {
    console.log(`Usage:\n${JOBS_USAGE}`);
    return exits.ok;
  }
  const [action = 'list', idText, ...extra] = positionals;
  if (extra.length > 0) return usage(exits, `unexpected argument "${extra[0]}"`);
  if (action === 'show') {
    if (!idText || !/^[1-9]\d{0,15}$/.test(idText)) return usage(exits, `jobs show needs a job id (a positive whole number), got "${idText ?? ''}"`);
    return withCliDatabase(async (pool) => {
      const job = await getJob(pool, Number(idText));
      if (!job) {
        console.error(`no import job ${idText}`);
        return exits.notFound;
      }
      console.log(values.json ? JSON.stringify(job, null, 2) : describeJob(job));
      return exits.ok;
    });
  }
  if (action !== 'list') return usage(exits, `unknown jobs action "${action}" (list, show)`);
  if (idText !== undefined) return usage(exits, `unexpected argument "${idText}"`);
  if (values.status !== undefined && !(jobStatuses as readonly string[]).includes(values.status)) {
    return usage(exits, `--status "${values.status}" is not one of ${jobStatuses.join(', ')}`);
  }
  if (values.dataset !== undefined && !/^[a-z][a-z0-9_]{0,47}$/.test(values.dataset)) return usage(exits, `--dataset "${values.dataset}" is not a dataset id`);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!/^\d+$/.test(values.limit ?? '20') || limit < 1 || limit > MAX_LIMIT) return usage(exits, `--limit "${values.limit}" must be a whole number from 1 to ${MAX_LIMIT}`);
  return withCliDatabase(async (pool) => {
    const jobs = await listJobs(pool, {
      limit,
      ...(values.dataset !== undefined && { datasetIds: [values.dataset] }),
      ...(values.status !== undefined && { status: values.status as JobStatus }),
    });
    if (values.json) console.log(JSON.stringify(jobs, null, 2));
    else if (jobs.length === 0) console.log('no import jobs');
    else console.log(jobsTable(jobs));
    return exits.ok;
  });
}

function usage(exits: CommandExits, message: string): number {
  console.error(`${message}\n\nUsage:\n${JOBS_USAGE}`);
  return exits.usage;
}

export function jobsTable(jobs: readonly ImportJob[]): string {
  return textTable(
    ['ID', 'DATASET', 'STATUS', 'PHASE', 'TRIGGER', 'STARTED BY', 'CREATED', 'TOOK', 'FEATURES', 'VERSION', 'ERROR'],
    jobs.map((job) => [
      String(job.id),
      job.datasetId,
      job.status,
      job.phase ?? '-',
      job.trigger,
      job.startedBy,
      minute(job.createdAt),
      duration(job),
      String(job.progress.featuresDone || job.counts.read || 0),
      job.version === null ? '-' : String(job.version),
      job.error ? truncate(job.error, 60) : '',
    ]),
  );
}

export function describeJob(job: ImportJob): string {
  const { progress } = job;
  const lines = [
    `job ${job.id}: dataset ${job.datasetId}, ${job.status}${job.phase ? ` (phase ${job.phase})` : ''}`,
    `  started by    ${job.startedBy} (${job.trigger})${job.runner ? ` on ${job.runner}` : ''}`,
    `  created       ${job.createdAt.toISOString()}`,
    `  started       ${job.startedAt?.toISOString() ?? '-'}`,
    `  finished      ${job.finishedAt?.toISOString() ?? '-'}${job.finishedAt ? ` (took ${duration(job)})` : ''}`,
    `  files         ${progress.filesDone} of ${progress.filesTotal ?? '?'}`,
    `  bytes         ${progress.bytesDone} of ${progress.bytesTotal ?? '?'}`,
    `  features      ${progress.featuresDone}`,
    `  version       ${job.version ?? '-'}`,
  ];
  if (job.error) lines.push(`  error         ${job.error}`);
  lines.push('', job.qaReport ? formatQaReport(job.qaReport) : 'no QA report');
  return lines.join('\n');
}

function minute(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

function duration(job: ImportJob): string {
  if (!job.startedAt) return '-';
  const seconds = Math.round(((job.finishedAt ?? new Date()).getTime() - job.startedAt.getTime()) / 1000);
  return seconds < 60 ? `${seconds}s` : seconds < 3600 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}

function truncate(text: string, length: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}
