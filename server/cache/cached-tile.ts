import { hash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip, gzipSync } from 'node:zlib';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * A tile as the cache holds it: ready to send. A vector tile is compressed once, when it is
 * computed, so a hit costs no compression; its ETag is computed then too.
 */
export interface CachedTile {
  /** The stored bytes; null for a tile without any feature (a tombstone: the route answers 204). */
  readonly body: Buffer | null;
  /** How `body` is encoded: gzip, or the tile's own bytes. */
  readonly encoding: 'gzip' | 'identity';
  /** Strong validator of the tile's content (no quotes); '' for an empty tile. */
  readonly etag: string;
}

export const EMPTY_TILE: CachedTile = Object.freeze({ body: null, encoding: 'identity', etag: '' });

/**
 * Smaller tiles are stored uncompressed: gzip would save at most a few hundred bytes (a 0.7 KB
 * z16 sample tile shrinks to 0.5 KB), less than the response headers. The same rule as nginx's
 * common `gzip_min_length 1000`.
 */
export const MIN_GZIP_BYTES = 1024;

/** Below this size (de)compressing on the main thread is cheaper than the hop to the thread pool. */
const SYNC_ZLIB_MAX_BYTES = 16 * 1024;

export interface TileEncoding {
  /** gzip level 1..9, or null to store as is (images, which are compressed already). */
  readonly gzipLevel: number | null;
}

/**
 * Makes the cache entry of a computed tile. The ETag is the content hash of the tile's own
 * bytes: it changes exactly when the tile does, also across a publish that left the tile as
 * it was (so clients keep their 304s), and never depends on how it was compressed.
 */
export async function encodeTile(tile: Buffer | null, { gzipLevel }: TileEncoding): Promise<CachedTile> {
  if (!tile || tile.length === 0) return EMPTY_TILE;
  const etag = hash('sha1', tile, 'base64url');
  if (gzipLevel === null || tile.length < MIN_GZIP_BYTES) return { body: tile, encoding: 'identity', etag };
  const options = { level: gzipLevel };
  const body = tile.length <= SYNC_ZLIB_MAX_BYTES ? gzipSync(tile, options) : await gzipAsync(tile, options);
  return { body, encoding: 'gzip', etag };
}

/** The tile's own bytes, for a client that does not accept gzip. */
export async function decodeTileBody(tile: CachedTile): Promise<Buffer | null> {
  if (!tile.body || tile.encoding === 'identity') return tile.body;
  return tile.body.length <= SYNC_ZLIB_MAX_BYTES / 4 ? gunzipSync(tile.body) : gunzipAsync(tile.body);
}

/** Bytes an entry holds in memory, for the LRU's bound (body plus a fixed share for the object). */
export function cachedTileBytes(tile: CachedTile, keyLength: number): number {
  return (tile.body?.length ?? 0) + tile.etag.length + keyLength + 96;
}
