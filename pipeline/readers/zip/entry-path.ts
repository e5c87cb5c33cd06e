import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { crc32 } from 'node:zlib';
import type { Entry } from 'yauzl';

/** A problem with one entry's name; the caller names the zip and the entry. */
export class EntryProblem extends Error {
  override readonly name = 'EntryProblem';
}

/** APPNOTE 4.4.4, general purpose bit 11: the name is UTF-8. */
const UTF8_NAME_FLAG = 0x800;
/** APPNOTE 4.6.9, Info-ZIP Unicode Path: a UTF-8 copy of the name, written by WinRAR and 7-Zip. */
const UNICODE_PATH_FIELD = 0x7075;
const UNICODE_PATH_VERSION = 1;
/** The Unicode Path field is version (1 byte) and CRC-32 of the header's name (4 bytes), then the name. */
const UNICODE_PATH_NAME_OFFSET = 5;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const gbkDecoder = new TextDecoder('gbk', { fatal: true });

/**
 * The entry's name as text. In order: the Info-ZIP Unicode Path field when its CRC matches
 * the name; UTF-8 when bit 11 says so or the bytes are valid UTF-8; else GBK. The spec's
 * default for unflagged names is CP437, but zips made on Chinese Windows (Explorer's "send
 * to compressed folder", older WinRAR and 好压) store names in the ANSI code page, GBK, and
 * reading them as CP437 turns 土地利用.shp into mojibake.
 */
export function decodeEntryName(entry: Entry): string {
  const raw = entry.fileNameRaw;
  for (const field of entry.extraFields) {
    const data = field.data;
    if (field.id === UNICODE_PATH_FIELD && data.length > UNICODE_PATH_NAME_OFFSET && data[0] === UNICODE_PATH_VERSION && data.readUInt32LE(1) === crc32(raw)) {
      return decode(utf8Decoder, data.subarray(UNICODE_PATH_NAME_OFFSET), 'its Unicode Path field is not UTF-8');
    }
  }
  if ((entry.generalPurposeBitFlag & UTF8_NAME_FLAG) !== 0) return decode(utf8Decoder, raw, 'its name is flagged UTF-8 but is not');
  if (isUtf8(raw)) return raw.toString('utf8');
  return decode(gbkDecoder, raw, 'its name is neither UTF-8 nor GBK');
}

function decode(decoder: TextDecoder, bytes: Uint8Array, problem: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new EntryProblem(`${problem} (bytes ${Buffer.from(bytes).toString('hex')})`);
  }
}

/**
 * The entry's path relative to the extraction folder, '/'-separated, with empty and `.`
 * segments dropped ('' for the root folder itself). Refused, as path traversal: absolute
 * paths (`/etc/x`, `C:/x`) and any `..` segment, even one that would stay inside. Backslashes
 * count as separators: .NET 4.5 wrote them, and Windows would read them so.
 */
export function checkEntryPath(name: string): string {
  if (/[\u0000-\u001f]/.test(name)) throw new EntryProblem('its name holds control characters');
  const slashed = name.replaceAll('\\', '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) throw new EntryProblem('has an absolute path: entries must be relative (refused as path traversal)');
  const segments = slashed.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw new EntryProblem('has ".." in its path, which would reach outside the extraction folder (refused as path traversal)');
  return segments.join('/');
}
