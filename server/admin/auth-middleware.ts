import type { Request, RequestHandler, Response } from 'express';
import type { Principal, Role } from '../../core/auth/api-token.js';
import { ForbiddenError, UnauthorizedError } from '../../core/auth/auth-errors.js';
import type { Authenticator } from '../../core/auth/authenticator.js';
import { writeAudit, type AuditEntry } from '../../core/auth/audit-log.js';
import { actorOf, mayUseAdminApi } from '../../core/auth/permissions.js';
import type { Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';

/** Where the verified principal of a request is kept for the handlers after the middleware. */
const PRINCIPAL = 'principal';

export interface AuthMiddlewareDeps {
  readonly authenticator: Authenticator;
  /** Refusals are written to meta.audit_log through it. */
  readonly pool: Pool;
  readonly logger: Logger;
}

/**
 * `Authorization: Bearer <token>` for every request behind it: the principal is kept for
 * `principalOf(res)`; without a valid token the request ends with 401, `WWW-Authenticate:
 * Bearer` (RFC 6750) and a JSON error, and the refusal is audited. Mount it in front of any
 * router that needs a token (admin, cache purge, seeding...).
 */
export function createAuthMiddleware({ authenticator, pool, logger }: AuthMiddlewareDeps): RequestHandler {
  return async (req, res, next) => {
    try {
      res.locals[PRINCIPAL] = await authenticator.authenticate(req.get('authorization'));
      next();
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        res.setHeader('WWW-Authenticate', challenge(error));
        await audit(pool, logger, req, { actor: 'anonymous', action: 'auth.denied', outcome: 'denied', details: { reason: error.message } });
      }
      next(error);
    }
  };
}

/** 403 unless the principal has one of the roles (after createAuthMiddleware). */
export function requireRole(...roles: readonly Role[]): RequestHandler {
  return (req, res, next) => {
    const principal = principalOf(res);
    if (roles.includes(principal.role)) next();
    else next(new ForbiddenError(`token ${principal.tokenId} is ${principal.role}; this needs ${roles.join(' or ')}`));
  };
}

/** Admins and editors may use the admin API (editors only for their counties' datasets); refusals are audited. */
export function requireAdminApi(pool: Pool, logger: Logger): RequestHandler {
  return async (req, res, next) => {
    const principal = principalOf(res);
    if (mayUseAdminApi(principal)) return next();
    const error = new ForbiddenError(`token ${principal.tokenId} is ${principal.role}; the admin API needs admin or editor`);
    await audit(pool, logger, req, { actor: actorOf(principal), action: 'auth.denied', outcome: 'denied', details: { reason: error.message } });
    next(error);
  };
}

/** The principal createAuthMiddleware verified; a programming error when it did not run. */
export function principalOf(res: Response): Principal {
  const principal = res.locals[PRINCIPAL] as Principal | undefined;
  if (!principal) throw new Error('principalOf: the auth middleware is not mounted in front of this handler');
  return principal;
}

/** Writes an audit entry for a request (address and method + path filled in); a failure to write is logged, not thrown. */
export async function audit(pool: Pool, logger: Logger, req: Request, entry: Omit<AuditEntry, 'address'>): Promise<void> {
  const full: AuditEntry = { target: `${req.method} ${req.originalUrl.split('?')[0]}`, ...entry, address: req.ip ?? null };
  await writeAudit(pool, full).catch((error: unknown) => logger.error({ err: error, action: full.action, target: full.target }, 'cannot write the audit log'));
}

function challenge(error: UnauthorizedError): string {
  const parts = ['Bearer realm="planmap"'];
  if (error.reason) parts.push(`error="${error.reason}"`, `error_description="${error.message.replace(/["\\]/g, '')}"`);
  return parts.join(', ');
}
