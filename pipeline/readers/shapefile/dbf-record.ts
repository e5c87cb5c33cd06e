import { ImportError } from '../../../core/errors.js';
import type { AttributeValue } from '../feature-source.js';
import { displayName, type DbfEncoding } from './dbf-encoding.js';
import type { NamedDbfField } from './dbf-fields.js';

/**
 * Decodes one .dbf record into properties. dBASE stores every value as text padded to its field's
 * width; there is no null, so a blank value is read as null (as GDAL does, so this reader and
 * ogr2ogr load the same rows).
 */

const FLAG_LIVE = 0x20; // ' '
const FLAG_DELETED = 0x2a; // '*'
const SPACE = 0x20;
const NUL = 0x00;

/** Decimal text as dBASE writes N and F values (optionally with an exponent, as some writers do for F). */
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE_TEXT = /^(\d{4})(\d{2})(\d{2})$/;
const NULL_NUMBER = /^\*+$/;
/** TextDecoder encodings in which ASCII bytes can mean something else (escape sequences, two-byte units). */
const NOT_ASCII_COMPATIBLE: ReadonlySet<string> = new Set(['utf-16le', 'utf-16be', 'iso-2022-jp', 'replacement']);

/** Properties of the record, or null when its deletion flag marks it deleted. */
export type RecordDecoder = (record: Buffer, feature: number) => Record<string, AttributeValue> | null;

export function createRecordDecoder(fields: readonly NamedDbfField[], encoding: DbfEncoding, file: string): RecordDecoder {
  // Fatal: a value that is not valid in the encoding is an error, never replacement characters.
  const decoder = new TextDecoder(encoding.label, { fatal: true, ignoreBOM: true });
  const asciiReadsAsItself = !NOT_ASCII_COMPATIBLE.has(decoder.encoding);
  return (record, feature) => {
    const flag = record[0];
    if (flag === FLAG_DELETED) return null;
    if (flag !== FLAG_LIVE) {
      throw new ImportError({ file, feature }, `has a record starting with byte 0x${flag?.toString(16)}, not a deletion flag: the .dbf is out of step`);
    }
    const properties: Record<string, AttributeValue> = {};
    for (const field of fields) {
      properties[field.name] = field.type === 'C'
        ? decodeText(record, field.offset, field.offset + field.length, decoder, asciiReadsAsItself, encoding, { file, feature, field: field.name })
        : parseValue(record, field, { file, feature, field: field.name });
    }
    return properties;
  };
}

interface ValueLocation {
  readonly file: string;
  readonly feature: number;
  readonly field: string;
}

/**
 * C (bytes `start` to `end` of the record): trailing spaces (and the NULs some writers pad with)
 * trimmed; blank is null. Text of ASCII bytes only (codes, numbers, most values of a 三调
 * layer) reads as itself in the encodings that are ASCII supersets (GBK, GB18030, UTF-8, the
 * single-byte code pages: `asciiReadsAsItself`), so it is taken as Latin-1 without the
 * decoder, which costs several times more per value.
 */
function decodeText(
  record: Buffer,
  start: number,
  end: number,
  decoder: InstanceType<typeof TextDecoder>,
  asciiReadsAsItself: boolean,
  encoding: DbfEncoding,
  location: ValueLocation,
): string | null {
  while (end > start && (record[end - 1] === SPACE || record[end - 1] === NUL)) end--;
  if (end === start) return null;
  if (asciiReadsAsItself && isAscii(record, start, end)) return record.toString('latin1', start, end);
  const bytes = record.subarray(start, end);
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new ImportError(location, `is not valid ${displayName(encoding.label)} text (bytes ${bytes.toString('hex')}); ${encodingHint(encoding)}`, { cause });
  }
}

function encodingHint(encoding: DbfEncoding): string {
  switch (encoding.origin) {
    case 'cpg':
      return `the .cpg says ${JSON.stringify(encoding.declared)}`;
    case 'language driver':
      return `the .dbf's language driver id ${encoding.declared} says so; a .cpg can name the right encoding`;
    case 'option':
      return `the dataset's encoding is ${JSON.stringify(encoding.declared)}`;
    case 'detected':
      return 'the .dbf names no encoding and this one was guessed: a .cpg can name the right one';
  }
}

function isAscii(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** Latin-1 bytes that String.prototype.trimStart removes (and trimEnd, with NUL, below). */
function isLatin1Space(byte: number): boolean {
  return byte === SPACE || (byte >= 0x09 && byte <= 0x0d) || byte === 0xa0;
}

function parseValue(record: Buffer, field: NamedDbfField, location: ValueLocation): AttributeValue {
  // The value's Latin-1 text without trailing whitespace and NULs or leading whitespace, found
  // on the bytes rather than with a regular expression on a string of the whole field.
  let start = field.offset;
  let end = field.offset + field.length;
  while (end > start && (record[end - 1] === NUL || isLatin1Space(record[end - 1]!))) end--;
  while (start < end && isLatin1Space(record[start]!)) start++;
  if (start === end) return null;
  const text = record.toString('latin1', start, end);
  switch (field.type) {
    case 'N':
    case 'F':
      // Shapelib, and so GDAL and ogr2ogr, writes a null number as a field of asterisks.
      return NULL_NUMBER.test(text) ? null : parseNumber(text, field, location);
    case 'L':
      return parseLogical(text, location);
    case 'D':
      return parseDate(text, location);
    case 'C':
      return text;
  }
}

function parseNumber(text: string, field: NamedDbfField, location: ValueLocation): number {
  if (!NUMBER_TEXT.test(text)) throw new ImportError(location, `holds ${JSON.stringify(text)}, which is not a number`);
  const number = Number(text);
  if (field.type === 'N' && field.decimals === 0 && !Number.isSafeInteger(number)) {
    throw new ImportError(location, `holds ${text}, which is not an integer that a double holds exactly, in a field of integers (N, 0 decimals)`);
  }
  return number;
}

function parseLogical(text: string, location: ValueLocation): boolean | null {
  if (text === '?') return null;
  if ('TtYy'.includes(text) && text.length === 1) return true;
  if ('FfNn'.includes(text) && text.length === 1) return false;
  throw new ImportError(location, `holds ${JSON.stringify(text)}, which is not a logical value (T, F, Y, N or ?)`);
}

/** D: YYYYMMDD, as an ISO date; blank or zeros is null. */
function parseDate(text: string, location: ValueLocation): string | null {
  if (text === '00000000') return null;
  const match = DATE_TEXT.exec(text);
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (!match || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new ImportError(location, `holds ${JSON.stringify(text)}, which is not a date (YYYYMMDD)`);
  }
  return `${match[1]}-${match[2]}-${match[3]}`;
}
