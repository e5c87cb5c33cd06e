import { translateDatabaseError } from '../db/database-errors.js';
import type { Pool } from '../db/pool.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { BOOTSTRAP_TOKEN_ID, matchesHash, parseToken, sha256, type Principal } from './api-token.js';
import { UnauthorizedError } from './auth-errors.js';
import { findToken, touchToken } from './token-store.js';

/** Shorter bootstrap tokens are refused at start-up: they could be guessed. */
export const MIN_BOOTSTRAP_TOKEN_LENGTH = 16;

/** Compared against when a token id is unknown, so that the answer takes as long as for a wrong secret. */
const UNKNOWN_TOKEN_HASH = sha256('planmap: no such token');

export interface Authenticator {
  /**
   * The principal of an `Authorization` header value; throws UnauthorizedError when it is
   * missing, malformed, unknown, wrong, expired or revoked, DatabaseUnavailableError when the
   * tokens cannot be read.
   */
  authenticate(authorization: string | undefined): Promise<Principal>;
}

export interface AuthenticatorOptions {
  readonly pool: Pool;
  readonly logger: Logger;
  /** ADMIN_TOKEN from the environment: an admin token that needs no database row. Only its hash is kept. */
  readonly bootstrapToken?: string | undefined;
  readonly now?: () => Date;
}

export function createAuthenticator({ pool, logger, bootstrapToken, now = () => new Date() }: AuthenticatorOptions): Authenticator {
  if (bootstrapToken !== undefined && bootstrapToken !== '' && bootstrapToken.length < MIN_BOOTSTRAP_TOKEN_LENGTH) {
    throw new ConfigError(`ADMIN_TOKEN must be at least ${MIN_BOOTSTRAP_TOKEN_LENGTH} characters long (e.g. \`openssl rand -base64 32\`)`);
  }
  const bootstrapSha256 = bootstrapToken ? sha256(bootstrapToken) : null;
  return {
    async authenticate(authorization) {
      const presented = bearerToken(authorization);
      if (bootstrapSha256 && matchesHash(presented, bootstrapSha256)) {
        return { tokenId: BOOTSTRAP_TOKEN_ID, name: 'ADMIN_TOKEN', role: 'admin', countyCodes: [], tilesets: [] };
      }
      const parsed = parseToken(presented);
      if (!parsed) throw new UnauthorizedError('invalid token', 'invalid_token');
      const stored = await findToken(pool, parsed.id).catch((error: unknown) => translateDatabaseError(error, 'checking the token'));
      const matches = matchesHash(parsed.secret, stored?.secretSha256 ?? UNKNOWN_TOKEN_HASH);
      if (!stored || !matches) throw new UnauthorizedError('invalid token', 'invalid_token');
      if (stored.revokedAt) throw new UnauthorizedError(`token ${stored.id} was revoked`, 'invalid_token');
      if (stored.expiresAt && stored.expiresAt.getTime() <= now().getTime()) {
        throw new UnauthorizedError(`token ${stored.id} expired at ${stored.expiresAt.toISOString()}`, 'invalid_token');
      }
      await touchToken(pool, stored.id).catch((error: unknown) => logger.warn({ err: error, tokenId: stored.id }, 'cannot record token use'));
      return { tokenId: stored.id, name: stored.name, role: stored.role, countyCodes: stored.countyCodes, tilesets: stored.tilesets };
    },
  };
}

/** The token of `Authorization: Bearer <token>` (RFC 6750 section 2.1). */
function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new UnauthorizedError('this needs a token: send Authorization: Bearer <token>', null);
  }
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"', 'invalid_request');
  return match[1]!;
}
