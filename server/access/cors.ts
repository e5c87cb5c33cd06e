import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessConfig, AccessLevel } from '../../core/config/access-schema.js';
import { appendVary } from '../http/vary.js';

/**
 * CORS (https://fetch.spec.whatwg.org/#http-cors-protocol). Public resources: any origin
 * (`*`, no credentials needed) when `publicAnyOrigin`; internal and restricted ones, and the
 * admin API: only the configured `origins`, echoed back with `Vary: Origin`. Tokens travel in
 * `Authorization`, not cookies, so credentials mode is never allowed.
 */
/** Response headers a cross-origin script may read (the tile's validator, a rate limit's wait, the request id). */
export const EXPOSED_HEADERS = 'ETag, Retry-After, X-Request-Id, Content-Encoding';

export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;
  private readonly anyOrigin: boolean;

  constructor(private readonly config: AccessConfig['cors']) {
    this.origins = new Set(config.origins.filter((origin) => origin !== '*'));
    this.anyOrigin = config.origins.includes('*');
  }

  /** Sets the CORS headers of an actual (non-preflight) response. `level` null: the admin API. */
  apply(req: IncomingMessage, res: ServerResponse, level: AccessLevel | null): void {
    const allowed = this.allowedOrigin(req.headers.origin, level);
    if (allowed === null) return;
    res.setHeader('Access-Control-Allow-Origin', allowed);
    if (allowed !== '*') appendVary(res, 'Origin');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  }

  /**
   * What `apply` would set, for a response written in one `writeHead`: the allowed origin
   * (null: no CORS headers; anything but `*` also needs `Vary: Origin`) and the exposed headers.
   */
  allowedOriginFor(req: IncomingMessage, level: AccessLevel | null): string | null {
    return this.allowedOrigin(req.headers.origin, level);
  }

  /**
   * Answers a preflight (OPTIONS with Access-Control-Request-Method) with 204: allowed methods
   * and headers when the origin may use the resource at some level, no CORS headers otherwise
   * (the browser then refuses). Returns false for other OPTIONS requests.
   */
  answerPreflight(req: IncomingMessage, res: ServerResponse, level: AccessLevel | null): boolean {
    if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
    // A preflight carries no credentials: answer for what the origin could read with a token.
    const allowed = this.allowedOrigin(req.headers.origin, level === 'public' ? 'public' : 'internal');
    if (allowed !== null) {
      res.setHeader('Access-Control-Allow-Origin', allowed);
      if (allowed !== '*') appendVary(res, 'Origin');
      res.setHeader('Access-Control-Allow-Methods', level === null ? 'GET, HEAD, POST, DELETE' : 'GET, HEAD');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, If-None-Match, Content-Type, X-Request-Id');
      res.setHeader('Access-Control-Max-Age', String(this.config.maxAgeSeconds));
    }
    res.setHeader('Content-Length', '0');
    res.writeHead(204).end();
    return true;
  }

  private allowedOrigin(origin: string | undefined, level: AccessLevel | null): string | null {
    if (level === 'public' && (this.config.publicAnyOrigin || this.anyOrigin)) return '*';
    if (origin === undefined) return null;
    return this.origins.has(origin) ? origin : null;
  }
}
