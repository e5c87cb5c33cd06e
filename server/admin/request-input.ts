import type { Request } from 'express';
import { BadRequestError } from '../../core/errors.js';
import { jobStatuses, type JobStatus } from '../../pipeline/jobs/import-job.js';

/** Validation of path and query parameters of the admin API, before any I/O. */

const ID_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;
export const DEFAULT_JOB_LIMIT = 50;
export const MAX_JOB_LIMIT = 500;

export function jobIdParam(text: string | undefined): number {
  if (!text || !/^[1-9]\d{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new BadRequestError(`job id "${text ?? ''}" is not a positive whole number`);
  }
  return Number(text);
}

export interface JobListQuery {
  readonly dataset?: string;
  readonly status?: JobStatus;
  readonly limit: number;
  readonly before?: number;
}

/** `?dataset=&status=&limit=&before=`; unknown or repeated parameters are refused, naming them. */
export function jobListQuery(req: Request): JobListQuery {
  const query = singleValues(req, ['dataset', 'status', 'limit', 'before']);
  if (query.dataset !== undefined && !ID_PATTERN.test(query.dataset)) throw new BadRequestError(`dataset "${query.dataset}" is not a dataset id`);
  if (query.status !== undefined && !(jobStatuses as readonly string[]).includes(query.status)) {
    throw new BadRequestError(`status "${query.status}" is not one of ${jobStatuses.join(', ')}`);
  }
  const limit = query.limit === undefined ? DEFAULT_JOB_LIMIT : Number(query.limit);
  if (!/^\d+$/.test(query.limit ?? String(DEFAULT_JOB_LIMIT)) || limit < 1 || limit > MAX_JOB_LIMIT) {
    throw new BadRequestError(`limit "${query.limit}" must be a whole number from 1 to ${MAX_JOB_LIMIT}`);
  }
  const before = query.before === undefined ? undefined : jobIdParam(query.before);
  return {
    limit,
    ...(query.dataset !== undefined && { dataset: query.dataset }),
    ...(query.status !== undefined && { status: query.status as JobStatus }),
    ...(before !== undefined && { before }),
  };
}

/** The query parameters as single strings; anything else (unknown, repeated, nested) is a 400. */
export function singleValues(req: Request, allowed: readonly string[]): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.query as Record<string, unknown>)) {
    if (!allowed.includes(name)) throw new BadRequestError(`unknown query parameter "${name}" (allowed: ${allowed.join(', ')})`);
    if (typeof value !== 'string') throw new BadRequestError(`query parameter "${name}" must be given once`);
    values[name] = value;
  }
  return values;
}
