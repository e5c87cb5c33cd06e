import { crc32 } from 'node:zlib';
import type { CachedTile } from './cached-tile.js';

/**
 * The stored form of a cache entry in the shared tiers (disk file, Redis value):
 *
 * | offset | size | field                                              |
 * |--------|------|----------------------------------------------------|
 * | 0      | 4    | magic `PMTC`                                       |
 * | 4      | 1    | format version (1)                                 |
 * | 5      | 1    | flags: 1 = empty tile, 2 = body is gzip            |
 * | 6      | 2    | key length (bytes, UTF-8)                          |
 * | 8      | 1    | ETag length                                        |
 * | 9      | 1    | reserved (0)                                       |
 * | 10     | 4    | body length                                        |
 * | 14     | 4    | CRC-32 of key, ETag and body                       |
 * | 18     | ...  | key, ETag, body                                    |
 *
 * The key inside the entry guards against an entry found under the wrong name; the lengths
 * and the checksum against a truncated file or garbage in Redis. A bad entry is reported as
 * CorruptEntryError, discarded and the tile computed again.
 */

const MAGIC = 0x504d5443; // 'PMTC'
const FORMAT_VERSION = 1;
const FLAG_EMPTY = 1;
const FLAG_GZIP = 2;
const OFFSET_VERSION = 4;
const OFFSET_FLAGS = 5;
const OFFSET_KEY_LENGTH = 6;
const OFFSET_ETAG_LENGTH = 8;
const OFFSET_BODY_LENGTH = 10;
const OFFSET_CRC = 14;
const HEADER_BYTES = 18;

export class CorruptEntryError extends Error {
  constructor(reason: string) {
    super(`corrupt cache entry: ${reason}`);
    this.name = 'CorruptEntryError';
  }
}

export function encodeEntry(keyId: string, tile: CachedTile): Buffer {
  const key = Buffer.from(keyId, 'utf8');
  const etag = Buffer.from(tile.etag, 'latin1');
  const body = tile.body ?? Buffer.alloc(0);
  if (key.length > 0xffff || etag.length > 0xff) throw new Error(`cache key or ETag too long (${key.length}, ${etag.length} bytes)`);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt8(FORMAT_VERSION, OFFSET_VERSION);
  header.writeUInt8((tile.body ? 0 : FLAG_EMPTY) | (tile.encoding === 'gzip' ? FLAG_GZIP : 0), OFFSET_FLAGS);
  header.writeUInt16BE(key.length, OFFSET_KEY_LENGTH);
  header.writeUInt8(etag.length, OFFSET_ETAG_LENGTH);
  header.writeUInt32BE(body.length, OFFSET_BODY_LENGTH);
  header.writeUInt32BE(crc32(body, crc32(etag, crc32(key))), OFFSET_CRC);
  return Buffer.concat([header, key, etag, body]);
}

/** The tile stored in `entry`; throws CorruptEntryError when it is not a whole entry of `keyId`. */
export function decodeEntry(keyId: string, entry: Buffer): CachedTile {
  if (entry.length < HEADER_BYTES) throw new CorruptEntryError(`${entry.length} bytes, shorter than the header`);
  if (entry.readUInt32BE(0) !== MAGIC) throw new CorruptEntryError('no PMTC magic number');
  const version = entry.readUInt8(OFFSET_VERSION);
  if (version !== FORMAT_VERSION) throw new CorruptEntryError(`format version ${version}, expected ${FORMAT_VERSION}`);
  const flags = entry.readUInt8(OFFSET_FLAGS);
  const keyLength = entry.readUInt16BE(OFFSET_KEY_LENGTH);
  const etagLength = entry.readUInt8(OFFSET_ETAG_LENGTH);
  const bodyLength = entry.readUInt32BE(OFFSET_BODY_LENGTH);
  const expectedLength = HEADER_BYTES + keyLength + etagLength + bodyLength;
  if (entry.length !== expectedLength) throw new CorruptEntryError(`${entry.length} bytes, the header says ${expectedLength}`);
  const key = entry.subarray(HEADER_BYTES, HEADER_BYTES + keyLength);
  const etag = entry.subarray(HEADER_BYTES + keyLength, HEADER_BYTES + keyLength + etagLength);
  const body = entry.subarray(HEADER_BYTES + keyLength + etagLength);
  if (crc32(body, crc32(etag, crc32(key))) !== entry.readUInt32BE(OFFSET_CRC)) throw new CorruptEntryError('checksum mismatch');
  if (key.toString('utf8') !== keyId) throw new CorruptEntryError(`it holds key "${key.toString('utf8').slice(0, 80)}"`);
  const isEmpty = (flags & FLAG_EMPTY) !== 0;
  if (isEmpty !== (bodyLength === 0)) throw new CorruptEntryError('empty flag and body length disagree');
  return {
    body: isEmpty ? null : body,
    encoding: (flags & FLAG_GZIP) !== 0 ? 'gzip' : 'identity',
    etag: etag.toString('latin1'),
  };
}
