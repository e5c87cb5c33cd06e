import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { Principal } from '../../core/auth/api-token.js';
import { ForbiddenError, UnauthorizedError } from '../../core/auth/auth-errors.js';
import type { Authenticator } from '../../core/auth/authenticator.js';
import { actorOf } from '../../core/auth/permissions.js';
import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { AccessPolicy, decide, type ProtectedResource } from './access-policy.js';
import { clientAddress } from './client-address.js';
import { CorsPolicy } from './cors.js';
import { TokenBuckets } from './rate-limiter.js';
import { ReadAudit } from './read-audit.js';
import { cachingAuthenticator, presentedCredentials, type TokenCarrier } from './request-principal.js';

/** 429: the caller's bucket is empty; `Retry-After` says when to come back. */
export class TooManyRequestsError extends AppError {
  constructor(readonly retryAfterSeconds: number, scope: string) {
    super(429, 'rate_limited', `too many requests (${scope}); retry after ${retryAfterSeconds} s`);
  }
}

/** Who is asking, once their token (if any) is verified. */
export interface Caller {
  readonly principal: Principal | null;
  readonly carrier: TokenCarrier;
  /** The `?token=` the request used, for URLs handed back to the same client (TileJSON, style.json, WMTS). */
  readonly queryToken: string | null;
  readonly address: string;
}

export type RequestClass = 'tiles' | 'admin';

export interface AccessControlDeps {
  readonly config: Pick<AppConfig, 'tilesets' | 'access' | 'server'>;
  readonly pool: Pool;
  readonly logger: Logger;
  readonly authenticator: Authenticator;
}

/**
 * Access control of the read side (tiles, TileJSON, catalog, styles, raster, WMTS) and the
 * limits and headers of every request. One instance per application; the routes call it:
 * `limit` first, then `authorize` before any cache lookup, `caller` for listings.
 */
export class AccessControl {
  readonly policy: AccessPolicy;
  readonly cors: CorsPolicy;
  readonly audit: ReadAudit;
  private readonly authenticator: Authenticator;
  private readonly trustProxy: boolean;
  private readonly limits: AppConfig['access']['rateLimits'];
  private readonly buckets: Record<RequestClass, { perToken: TokenBuckets; perAddress: TokenBuckets }>;
  private readonly exempt: ReadonlySet<string>;

  constructor({ config, pool, logger, authenticator }: AccessControlDeps) {
    this.policy = new AccessPolicy(config);
    this.cors = new CorsPolicy(config.access.cors);
    this.audit = new ReadAudit(pool, logger, config.access.auditWindowSeconds * 1000);
    this.authenticator = cachingAuthenticator(authenticator, config.access.tokenCacheSeconds * 1000);
    this.trustProxy = config.server.trustProxy;
    this.limits = config.access.rateLimits;
    const max = this.limits.maxTrackedKeys;
    const bucketsOf = (which: RequestClass) => ({
      perToken: new TokenBuckets(this.limits[which].perToken, max),
      perAddress: new TokenBuckets(this.limits[which].perAddress, max),
    });
    this.buckets = { tiles: bucketsOf('tiles'), admin: bucketsOf('admin') };
    this.exempt = new Set(this.limits.exemptAddresses);
  }

  addressOf(req: IncomingMessage): string {
    return clientAddress(req, this.trustProxy);
  }

  /**
   * Takes the request from its address's bucket and, when it carries a token, from the token's
   * (keyed by the token's hash, so that nobody can empty another's bucket without the token).
   * Throws TooManyRequestsError with Retry-After set when either is empty.
   */
  limit(req: IncomingMessage, res: ServerResponse, which: RequestClass): void {
    if (!this.limits.enabled) return;
    const address = this.addressOf(req);
    if (this.exempt.has(address)) return;
    const buckets = this.buckets[which];
    let wait = buckets.perAddress.take(address);
    let scope = 'per address';
    if (wait === 0) {
      const { authorization } = presentedCredentials(req);
      if (authorization !== undefined) {
        wait = buckets.perToken.take(createHash('sha256').update(authorization).digest('base64url'));
        scope = 'per token';
      }
    }
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      throw new TooManyRequestsError(wait, `${which}, ${scope}`);
    }
  }

  /**
   * The caller of a request: anonymous when it sent no token, else the verified principal.
   * Throws UnauthorizedError (with WWW-Authenticate set) for a token that is not valid:
   * a client that sends a wrong token hears so rather than silently seeing less.
   */
  async caller(req: IncomingMessage, res: ServerResponse): Promise<Caller> {
    const credentials = presentedCredentials(req);
    const address = this.addressOf(req);
    if (credentials.authorization === undefined) return { principal: null, carrier: null, queryToken: null, address };
    try {
      const principal = await this.authenticator.authenticate(credentials.authorization);
      return { principal, carrier: credentials.carrier, queryToken: credentials.queryToken, address };
    } catch (error) {
      if (error instanceof UnauthorizedError) res.setHeader('WWW-Authenticate', challenge(error));
      throw error;
    }
  }

  /**
   * Checks that the caller may read the resource, before anything is looked up: public ones
   * without reading credentials at all (no database, so public tiles are served through an
   * outage); otherwise the token is verified, the read (or refusal) is counted for the audit
   * trail, and a refusal throws UnauthorizedError (401, WWW-Authenticate) or ForbiddenError (403).
   * Returns the caller (anonymous for public resources).
   */
  async authorize(req: IncomingMessage, res: ServerResponse, resource: ProtectedResource, what: { action: string; target: string }): Promise<Caller> {
    if (resource.level === 'public') return { principal: null, carrier: null, queryToken: null, address: '' };
    let caller: Caller;
    try {
      caller = await this.caller(req, res);
    } catch (error) {
      if (error instanceof UnauthorizedError) this.audit.record({ actor: 'anonymous', ...what, address: this.addressOf(req), outcome: 'denied', status: 401 });
      throw error;
    }
    const decision = decide(caller.principal, resource);
    const actor = caller.principal ? actorOf(caller.principal) : 'anonymous';
    if (decision === 'allow') {
      this.audit.record({ actor, ...what, address: caller.address, outcome: 'ok' });
      return caller;
    }
    this.audit.record({ actor, ...what, address: caller.address, outcome: 'denied', status: decision === 'needs-token' ? 401 : 403 });
    if (decision === 'needs-token') {
      const error = new UnauthorizedError(`${what.target} is ${resource.level}: send a token (Authorization: Bearer <token>, or ?token=)`, null);
      res.setHeader('WWW-Authenticate', challenge(error));
      throw error;
    }
    throw new ForbiddenError(`token ${caller.principal!.tokenId} has no grant for ${what.target} (${resource.level}; needs ${resource.restrictedTilesets.join(', ')})`);
  }

  /** Whether a caller may read a resource (listings: what they may not read is left out). */
  mayRead(caller: Caller, resource: ProtectedResource): boolean {
    return decide(caller.principal, resource) === 'allow';
  }

  /** Writes the counted reads; for shutdown. */
  close(): Promise<void> {
    return this.audit.close();
  }
}

/**
 * Cache-Control of a protected response: `private` instead of `public`, so that no shared
 * cache (proxy, CDN) keeps a tile only some may read.
 */
export function privateCacheControl(cacheControl: string): string {
  if (/no-store/.test(cacheControl)) return cacheControl;
  const rest = cacheControl
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !/^(public|private|s-maxage=\d+)$/i.test(part));
  return ['private', ...rest].join(', ');
}

/** A URL template with the caller's `?token=` added, when that is how the caller sent it. */
export function withQueryToken(url: string, caller: Pick<Caller, 'queryToken'>): string {
  if (!caller.queryToken) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(caller.queryToken)}`;
}

function challenge(error: UnauthorizedError): string {
  const parts = ['Bearer realm="planmap"'];
  if (error.reason) parts.push(`error="${error.reason}"`, `error_description="${error.message.replace(/["\\]/g, '')}"`);
  return parts.join(', ');
}
