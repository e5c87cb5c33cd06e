import { Router, type Request } from 'express';
import { requireRole } from '../admin/auth-middleware.js';
import { singleValues } from '../admin/request-input.js';
import type { Pool } from '../../core/db/pool.js';
import { BadRequestError } from '../../core/errors.js';

export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1000;

/** One row of meta.audit_log as the API shows it. */
export interface AuditRow {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly address: string | null;
  readonly outcome: string;
  readonly details: Record<string, unknown>;
}

export interface AuditQuery {
  /** Part of the actor: a token id, a token name, `ADMIN_TOKEN`, `anonymous`, `cli:`. */
  readonly who?: string;
  /** An action (`import.start`), or a prefix ending in `*` (`tiles.*`). */
  readonly action?: string;
  readonly outcome?: string;
  readonly target?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit: number;
  /** Rows with a smaller id (paging: pass the last id of the previous page). */
  readonly before?: number;
}

/**
 * `GET /audit` (mounted in the admin API, so `/admin/audit`; admins only): the audit trail,
 * newest first, filtered by `who`, `action`, `outcome`, `target`, `from`, `to` (ISO 8601),
 * `limit` (1..1000) and `before` (id). The trail is append-only in the database
 * (meta.audit_log's trigger); this route only reads it.
 */
export function createAuditRouter({ pool }: { pool: Pool }): Router {
  const router = Router();
  router.get('/audit', requireRole('admin'), async (req, res) => {
    const query = auditQuery(req);
    const rows = await queryAudit(pool, query);
    res.json({ entries: rows, ...(rows.length === query.limit && { next: `before=${rows[rows.length - 1]!.id}` }) });
  });
  return router;
}

export function auditQuery(req: Request): AuditQuery {
  const q = singleValues(req, ['who', 'action', 'outcome', 'target', 'from', 'to', 'limit', 'before']);
  for (const name of ['who', 'action', 'outcome', 'target'] as const) {
    const value = q[name];
    if (value !== undefined && (value === '' || value.length > 200 || /[\u0000-\u001f]/.test(value))) {
      throw new BadRequestError(`${name} must be 1 to 200 printable characters`);
    }
  }
  if (q.outcome !== undefined && !['ok', 'refused', 'denied', 'failed'].includes(q.outcome)) {
    throw new BadRequestError(`outcome "${q.outcome}" is not one of ok, refused, denied, failed`);
  }
  const limit = q.limit === undefined ? DEFAULT_AUDIT_LIMIT : /^\d{1,5}$/.test(q.limit) ? Number(q.limit) : NaN;
  if (!(limit >= 1 && limit <= MAX_AUDIT_LIMIT)) throw new BadRequestError(`limit "${q.limit}" must be a whole number from 1 to ${MAX_AUDIT_LIMIT}`);
  let before: number | undefined;
  if (q.before !== undefined) {
    if (!/^[1-9]\d{0,15}$/.test(q.before) || !Number.isSafeInteger(Number(q.before))) throw new BadRequestError(`before "${q.before}" is not a positive whole number`);
    before = Number(q.before);
  }
  const from = dateParam('from', q.from);
  const to = dateParam('to', q.to);
  if (from && to && from.getTime() > to.getTime()) throw new BadRequestError(`from ${from.toISOString()} is after to ${to.toISOString()}`);
  return {
    limit,
    ...(q.who !== undefined && { who: q.who }),
    ...(q.action !== undefined && { action: q.action }),
    ...(q.outcome !== undefined && { outcome: q.outcome }),
    ...(q.target !== undefined && { target: q.target }),
    ...(from && { from }),
    ...(to && { to }),
    ...(before !== undefined && { before }),
  };
}

function dateParam(name: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? new Date(text) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new BadRequestError(`${name} "${text.slice(0, 40)}" is not an ISO 8601 date or date-time (2026-11-29, 2026-11-29T08:00:00+08:00)`);
  return date;
}

export async function queryAudit(pool: Pool, query: AuditQuery): Promise<AuditRow[]> {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown) => {
    values.push(value);
    conditions.push(sql(`$${values.length}`));
  };
  const like = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
  if (query.who !== undefined) add((p) => `actor ILIKE ${p}`, `%${like(query.who)}%`);
  if (query.action !== undefined) {
    if (query.action.endsWith('*')) add((p) => `action LIKE ${p}`, `${like(query.action.slice(0, -1))}%`);
    else add((p) => `action = ${p}`, query.action);
  }
  if (query.outcome !== undefined) add((p) => `outcome = ${p}`, query.outcome);
  if (query.target !== undefined) add((p) => `target = ${p}`, query.target);
  if (query.from) add((p) => `at >= ${p}`, query.from);
  if (query.to) add((p) => `at <= ${p}`, query.to);
  if (query.before !== undefined) add((p) => `id < ${p}`, query.before);
  values.push(query.limit);
  const { rows } = await pool.query<{ id: string; at: Date; actor: string; action: string; target: string | null; address: string | null; outcome: string; details: Record<string, unknown> }>(
    `SELECT id, at, actor, action, target, address, outcome, details FROM meta.audit_log
      ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT $${values.length}`,
    values,
  );
  return rows.map((row) => ({ ...row, id: Number(row.id), at: row.at.toISOString() }));
}
