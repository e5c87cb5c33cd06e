import type { ServerResponse } from 'node:http';

/**
 * Headers every response carries, set as one constant list so the tile fast path pays a few
 * `setHeader` calls. No `Server` banner is ever sent (Node writes none; Express's
 * X-Powered-By is off). Pages of the viewer replace the Content-Security-Policy with their own
 * (server/routes/web-route.ts); everything else is data and may not be framed or run anything.
 */
const COMMON: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  // A `?token=` in a URL must not travel to other sites in Referer.
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['Cross-Origin-Resource-Policy', 'cross-origin'],
];

/** Data (tiles, JSON, XML): nothing to run, never framed by another site. */
const DATA_POLICY = "default-src 'none'; frame-ancestors 'self'";

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of COMMON) res.setHeader(name, value);
  res.setHeader('Content-Security-Policy', DATA_POLICY);
}

/**
 * The same headers as a flat `[name, value, ...]` list, for a response written with one
 * `writeHead(status, list)` (the cached-tile fast path): Node then validates and stores no
 * header one by one.
 */
export const DATA_SECURITY_HEADER_LIST: readonly string[] = [...COMMON.flat(), 'Content-Security-Policy', DATA_POLICY];

/** For pages (HTML): the common headers, and frame-ancestors only, so a page's own policy governs what it loads. */
export function setPageSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of COMMON) res.setHeader(name, value);
  res.setHeader('Content-Security-Policy', "frame-ancestors 'self'");
}
