import type { Request, Response } from 'express';
import { actorOf } from '../../core/auth/permissions.js';
import { AppError } from '../../core/errors.js';
import type { Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import { audit, principalOf } from './auth-middleware.js';

export interface AuditedAction<T> {
  /** e.g. `import.start`. */
  readonly action: string;
  /** e.g. `dataset:landuse`. */
  readonly target: string;
  readonly work: () => Promise<T>;
  /** Details recorded when the work succeeds. */
  readonly details?: (result: T) => Record<string, unknown>;
}

/**
 * Runs an admin action and records it in meta.audit_log whatever the outcome: `ok`, `denied`
 * (403), `refused` (another 4xx: unknown, conflicting, malformed) or `failed`; then returns
 * the result or re-throws.
 */
export async function auditedAction<T>(pool: Pool, logger: Logger, req: Request, res: Response, action: AuditedAction<T>): Promise<T> {
  const actor = actorOf(principalOf(res));
  try {
    const result = await action.work();
    await audit(pool, logger, req, { actor, action: action.action, target: action.target, outcome: 'ok', details: action.details?.(result) ?? {} });
    return result;
  } catch (error) {
    const status = error instanceof AppError ? error.status : 500;
    const outcome = status === 403 ? 'denied' : status < 500 ? 'refused' : 'failed';
    await audit(pool, logger, req, { actor, action: action.action, target: action.target, outcome, details: { status, error: error instanceof Error ? error.message : String(error) } });
    throw error;
  }
}
