import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { AccessLevel } from '../../core/config/access-schema.js';
import { strictest } from './access-policy.js';
import type { AccessControl } from './access-control.js';
import { setPageSecurityHeaders } from './security-headers.js';
import { appendVary } from '../http/vary.js';

/**
 * In front of every Express route: security headers, CORS preflight (answered here, 204),
 * rate limits (the admin API has its own, lower ones) and the CORS headers of the answer.
 * Responses whose content depends on the caller's token (catalog, styles list, capabilities)
 * are shared with the configured origins only, and carry `Vary: Authorization`.
 *
 * `styleTilesets` gives the tilesets of a style id (null when there is no such style), so a
 * style's level is known from its URL.
 */
export function createAccessMiddleware(access: AccessControl, styleTilesets: (styleId: string) => readonly string[] | null): RequestHandler {
  const levelOfPath = (path: string): AccessLevel | null => {
    if (path === '/admin' || path.startsWith('/admin/')) return null;
    const tiles = /^\/tiles\/([^/]+?)(?:\.json)?(?:\/|$)/.exec(path);
    if (tiles) return access.policy.tileset(safeDecode(tiles[1]!)).level;
    const style = /^\/styles\/([^/]+)\//.exec(path);
    if (style) {
      const id = safeDecode(style[1]!);
      return styleAccessLevel(access, id, styleTilesets(id));
    }
    return 'public';
  };
  return (req, res, next) => {
    setPageSecurityHeaders(res);
    const level = levelOfPath(req.path);
    if (access.cors.answerPreflight(req, res, level)) return;
    try {
      admitRequest(access, req, res, level, req.originalUrl);
    } catch (error) {
      next(error);
      return;
    }
    next();
  };
}

/**
 * A request's admission once its security headers are set and it is not a preflight: the rate
 * limit (throws TooManyRequestsError; admin paths, `level` null, have their own), then
 * `Vary: Authorization` when it carries a token, and the CORS headers of its level (the
 * strictest of it and `internal` for a credentialed request). Shared with the routes that answer
 * before Express (the raster tile route, server/routes/styles-route.ts).
 */
export function admitRequest(access: AccessControl, req: IncomingMessage, res: ServerResponse, level: AccessLevel | null, url: string): void {
  access.limit(req, res, level === null ? 'admin' : 'tiles');
  const credentialed = req.headers.authorization !== undefined || /[?&]token=/.test(url);
  if (credentialed) appendVary(res, 'Authorization');
  access.cors.apply(req, res, level === null ? null : credentialed ? strictest([level, 'internal']) : level);
}

/**
 * The level of a style's output (style.json, raster tiles): that of its tilesets. A style that
 * does not exist is answered 404 by its route, as public.
 */
export function styleAccessLevel(access: AccessControl, styleId: string, tilesets: readonly string[] | null | undefined): AccessLevel {
  return tilesets ? access.policy.style(styleId, tilesets).level : 'public';
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
