import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Writes a WMTS body (a tile image or the capabilities) with a strong ETag of its bytes and
 * answers 304 to a matching If-None-Match, so that desktop clients re-reading the
 * capabilities or a cached tile get no body. Images are already compressed: no gzip.
 */
export function sendWmtsBody(req: IncomingMessage, res: ServerResponse, body: Buffer, contentType: string, cacheControl: string): void {
  const etag = `"${hash('sha1', body, 'base64url')}"`;
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('ETag', etag);
  if (matchesIfNoneMatch(req.headers['if-none-match'], etag)) {
    res.writeHead(304).end();
    return;
  }
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.length);
  res.writeHead(200).end(req.method === 'HEAD' ? undefined : body);
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored. */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replace(/^W\//, '') === etag;
  });
}
