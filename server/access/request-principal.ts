import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../../core/auth/api-token.js';
import { UnauthorizedError } from '../../core/auth/auth-errors.js';
import type { Authenticator } from '../../core/auth/authenticator.js';

/** How a request presented its token: the header, `?token=` (desktop GIS), or not at all. */
export type TokenCarrier = 'header' | 'query' | null;

export interface PresentedCredentials {
  /** The `Authorization` header value, or `Bearer <token>` made from `?token=`; undefined when none. */
  readonly authorization: string | undefined;
  readonly carrier: TokenCarrier;
  /** The `?token=` value when that is how it came (for URLs handed back to the same client). */
  readonly queryToken: string | null;
}

/**
 * The credentials of a request. `Authorization` wins over `?token=`; an empty `?token=` counts
 * as none. Only the query string is read, not the body.
 */
export function presentedCredentials(req: IncomingMessage): PresentedCredentials {
  const header = req.headers.authorization;
  const queryToken = tokenQueryParameter(req.url ?? '');
  if (header !== undefined && header !== '') return { authorization: header, carrier: 'header', queryToken: null };
  if (queryToken) return { authorization: `Bearer ${queryToken}`, carrier: 'query', queryToken };
  return { authorization: undefined, carrier: null, queryToken: null };
}

/** The value of the first `token` query parameter, or null (malformed percent-encoding: the raw text, which then fails verification). */
export function tokenQueryParameter(url: string): string | null {
  const queryStart = url.indexOf('?');
  if (queryStart < 0 || !url.includes('token=', queryStart)) return null;
  for (const pair of url.slice(queryStart + 1).split('&')) {
    if (!pair.startsWith('token=')) continue;
    const raw = pair.slice('token='.length);
    try {
      return decodeURIComponent(raw.replace(/\+/g, ' ')) || null;
    } catch {
      return raw || null;
    }
  }
  return null;
}

/**
 * An Authenticator that remembers verified tokens for `ttlMs` (and refusals for at most 5 s),
 * keyed by the token's SHA-256: a map view asks for hundreds of tiles, each with the token,
 * and one database read per tile would cost more than the tile. A revoked token keeps working
 * here for at most `ttlMs`. Database failures are not remembered.
 */
export function cachingAuthenticator(inner: Authenticator, ttlMs: number, maxEntries = 10_000): Authenticator {
  if (ttlMs <= 0) return inner;
  const remembered = new LRUCache<string, { principal: Principal } | { refusal: UnauthorizedError }>({ max: maxEntries, ttl: ttlMs });
  const refusalTtlMs = Math.min(ttlMs, 5000);
  return {
    async authenticate(authorization) {
      if (authorization === undefined || authorization.trim() === '') return inner.authenticate(authorization);
      const key = createHash('sha256').update(authorization).digest('base64url');
      const known = remembered.get(key);
      if (known) {
        if ('principal' in known) return known.principal;
        throw known.refusal;
      }
      try {
        const principal = await inner.authenticate(authorization);
        remembered.set(key, { principal });
        return principal;
      } catch (error) {
        if (error instanceof UnauthorizedError) remembered.set(key, { refusal: error }, { ttl: refusalTtlMs });
        throw error;
      }
    },
  };
}
