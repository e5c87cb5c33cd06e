import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Request, Response } from 'express';

const gzipAsync = promisify(gzip);

export const MVT_CONTENT_TYPE = 'application/vnd.mapbox-vector-tile';

/**
 * Writes a vector tile: gzip when the client accepts it, a strong ETag per representation
 * (the gzip one differs, RFC 9110 §8.8.3), 304 on a matching If-None-Match, and
 * 204 No Content for a tile without features (documented in the README).
 */
export async function sendVectorTile(req: Request, res: Response, tile: Buffer | null, cacheControl: string): Promise<void> {
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('Vary', 'Accept-Encoding');
  if (!tile) {
    res.status(204).end();
    return;
  }
  const isGzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
  const hash = createHash('sha1').update(tile).digest('base64url');
  const etag = `"${hash}${isGzip ? '-gz' : ''}"`;
  res.setHeader('ETag', etag);
  if (matchesIfNoneMatch(req.headers['if-none-match'], etag)) {
    res.status(304).end();
    return;
  }
  const body = isGzip ? await gzipAsync(tile) : tile;
  res.setHeader('Content-Type', MVT_CONTENT_TYPE);
  if (isGzip) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', body.length);
  res.status(200).end(body);
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored. */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replace(/^W\//, '') === etag;
  });
}
