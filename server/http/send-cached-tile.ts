import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeTileBody, type CachedTile } from '../cache/cached-tile.js';
import { acceptsGzip, matchesIfNoneMatch, MVT_CONTENT_TYPE } from './send-tile.js';
import { appendVary } from './vary.js';

/**
 * Writes a tile as the cache holds it: gzip bytes go out as they are stored when the client
 * accepts gzip (no compression per request), else they are gunzipped; a strong ETag per
 * representation (the gzip one ends in `-gz`, RFC 9110 §8.8.3), 304 on a matching
 * If-None-Match, 204 No Content for a tile without features.
 */
export async function sendCachedTile(
  req: IncomingMessage,
  res: ServerResponse,
  tile: CachedTile,
  cacheControl: string,
  contentType = MVT_CONTENT_TYPE,
): Promise<void> {
  if (trySendCachedTileNow(req, res, tile, cacheControl, contentType)) return;
  writeBody(res, await decodeTileBody(tile), false, contentType);
}

/**
 * Writes the response at once and returns true, unless the stored gzip must be gunzipped for
 * this client (then it has set the headers but not the status, and returns false). Synchronous,
 * so a memory hit is answered without a promise or a later tick.
 */
export function trySendCachedTileNow(
  req: IncomingMessage,
  res: ServerResponse,
  tile: CachedTile,
  cacheControl: string,
  contentType = MVT_CONTENT_TYPE,
): boolean {
  res.setHeader('Cache-Control', cacheControl);
  appendVary(res, 'Accept-Encoding');
  if (!tile.body) {
    res.writeHead(204).end();
    return true;
  }
  const isGzip = tile.encoding === 'gzip' && acceptsGzip(req);
  const etag = representationEtag(tile, isGzip);
  res.setHeader('ETag', etag);
  if (matchesIfNoneMatch(req.headers['if-none-match'], etag)) {
    res.writeHead(304).end();
    return true;
  }
  if (tile.encoding === 'gzip' && !isGzip) return false;
  writeBody(res, tile.body, isGzip, contentType);
  return true;
}

/** The ETag of one representation of a stored tile: the gzip one differs (RFC 9110 §8.8.3). */
export function representationEtag(tile: CachedTile, isGzip: boolean): string {
  return `"${tile.etag}${isGzip ? '-gz' : ''}"`;
}

function writeBody(res: ServerResponse, body: Buffer | null, isGzip: boolean, contentType: string): void {
  res.setHeader('Content-Type', contentType);
  if (isGzip) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', body!.length);
  res.writeHead(200).end(body);
}
