import { ImportError, type ImportLocation } from '../../../core/errors.js';
import type { AttributeValue } from '../feature-source.js';
import type { ColumnKind } from './table-columns.js';

/**
 * One attribute value as SQLite hands it over (rows are read with safe integers, so INTEGER
 * storage arrives as bigint and is never rounded on the way), checked against its column's
 * declared type. SQLite lets any column hold any value; the GeoPackage standard asks readers to
 * expect that (§1.1.1.1.3, the warning after Requirement 5), and a value that does not fit its
 * column is refused with the feature and field, never coerced.
 */

type LocatedValue = ImportLocation & { readonly feature: number; readonly field: string };

/** DATE: YYYY-MM-DD (§1.1.1.1.3, Table 1). */
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
/** DATETIME: YYYY-MM-DDTHH:MM[:SS.SSS]Z; a space for the T and an offset for the Z are accepted, as writers use them. */
const DATETIME_TEXT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
/**
 * SQLite hands text over as UTF-8 and replaces invalid bytes with U+FFFD without a word, which is
 * what text written in GBK by a misconfigured tool turns into. Real data has no use for the
 * replacement character, so finding it means the text was damaged.
 */
const REPLACEMENT_CHARACTER = '\uFFFD';

export function readColumnValue(value: unknown, kind: ColumnKind, location: LocatedValue): AttributeValue {
  if (value === null) return null;
  switch (kind) {
    case 'integer':
      return readInteger(value, location);
    case 'number':
      return readNumber(value, location);
    case 'boolean':
      if (value === 0n || value === 1n) return value === 1n;
      return refuse(value, 'a boolean (0 or 1)', location);
    case 'string':
      return readText(value, 'text', location);
    case 'date':
      return readDate(readText(value, 'a date (YYYY-MM-DD)', location), location);
    case 'datetime': {
      const text = readText(value, 'a date and time (YYYY-MM-DDTHH:MM:SSZ)', location);
      return DATETIME_TEXT.test(text) ? text : refuse(value, 'a date and time (YYYY-MM-DDTHH:MM:SSZ)', location);
    }
  }
}

function readInteger(value: unknown, location: LocatedValue): number {
  if (typeof value === 'bigint') return exactNumber(value, location);
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  return refuse(value, 'an integer', location);
}

function readNumber(value: unknown, location: LocatedValue): number {
  if (typeof value === 'bigint') return exactNumber(value, location);
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return refuse(value, 'a finite number', location);
}

function exactNumber(value: bigint, location: LocatedValue): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new ImportError(location, `holds ${value}, which is not an integer that a double holds exactly (at most 2^53 - 1 in magnitude); store codes this long as TEXT`);
  }
  return number;
}

function readText(value: unknown, expected: string, location: LocatedValue): string {
  if (typeof value !== 'string') return refuse(value, expected, location);
  if (value.includes(REPLACEMENT_CHARACTER)) {
    throw new ImportError(location, `holds ${JSON.stringify(value)}, text with bytes that are not UTF-8 (GeoPackage text is UTF-8; was it written as GBK?)`);
  }
  return value;
}

function readDate(text: string, location: LocatedValue): string {
  const match = DATE_TEXT.exec(text);
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (!match || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return refuse(text, 'a date (YYYY-MM-DD)', location);
  }
  return text;
}

function refuse(value: unknown, expected: string, location: LocatedValue): never {
  throw new ImportError(location, `holds ${describeValue(value)}, which is not ${expected} as its column's type requires`);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  if (typeof value === 'bigint') return `the integer ${value}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (value instanceof Uint8Array) return `a blob of ${value.length} bytes`;
  return String(value);
}
