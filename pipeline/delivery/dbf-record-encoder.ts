import iconv from 'iconv-lite';
import type { AttributeValue } from '../readers/feature-source.js';
import type { PlacedField } from './dbf-field-spec.js';

/** Encodings the writer can write text in; TextEncoder only does UTF-8, so GBK and GB18030 go through iconv-lite. */
export type TextEncoding = 'gbk' | 'gb18030' | 'utf-8';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** One feature's properties as a dBASE record (valid until the next call); throws naming the feature and field. */
export type RecordEncoder = (properties: Readonly<Record<string, AttributeValue | undefined>>, feature: number) => Buffer;

/**
 * Every value is padded to its field's width: text left-aligned with spaces, numbers right-aligned.
 * dBASE has no null, so null (or an absent key) is written blank, and reads back as null; an empty
 * or all-space string does too.
 */
export function createRecordEncoder(fields: readonly PlacedField[], encoding: TextEncoding, recordBytes: number): RecordEncoder {
  const record = Buffer.alloc(recordBytes);
  const byName = new Map(fields.map((field) => [field.name, field]));
  return (properties, feature) => {
    for (const name of Object.keys(properties)) {
      if (!byName.has(name)) throw new Error(`feature ${feature}: property ${name} has no field in the .dbf`);
    }
    record.fill(0x20);
    for (const field of fields) {
      const value = properties[field.name] ?? null;
      const bytes = value === null ? blank(field) : encodeValue(value, field, encoding, `feature ${feature}, field ${field.name}`);
      if (bytes.length > field.length) {
        throw new Error(`feature ${feature}, field ${field.name}: ${JSON.stringify(value)} takes ${bytes.length} bytes, the field holds ${field.length}`);
      }
      // Numbers are right-aligned, everything else left-aligned.
      const at = field.offset + (field.type === 'N' || field.type === 'F' ? field.length - bytes.length : 0);
      record.set(bytes, at);
    }
    return record;
  };
}

function blank(field: PlacedField): Buffer {
  // An unknown logical is '?'; other types are blank (already spaces).
  return field.type === 'L' ? Buffer.from('?') : Buffer.alloc(0);
}

function encodeValue(value: AttributeValue, field: PlacedField, encoding: TextEncoding, where: string): Buffer {
  switch (field.type) {
    case 'C':
      if (typeof value !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`);
      return encodeText(value, encoding, where);
    case 'N':
    case 'F':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: expected a finite number, got ${JSON.stringify(value)}`);
      if (field.decimals === 0 && !Number.isInteger(value)) throw new Error(`${where}: ${value} is not an integer, and the field has no decimals`);
      return Buffer.from(value.toFixed(field.decimals), 'latin1');
    case 'D': {
      const match = typeof value === 'string' ? DATE.exec(value) : null;
      if (!match) throw new Error(`${where}: expected a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
      return Buffer.from(`${match[1]}${match[2]}${match[3]}`, 'latin1');
    }
    case 'L':
      if (typeof value !== 'boolean') throw new Error(`${where}: expected a boolean, got ${JSON.stringify(value)}`);
      return Buffer.from(value ? 'T' : 'F', 'latin1');
  }
}

/** Text in the table's encoding; a character the encoding lacks is an error, not a '?'. */
function encodeText(value: string, encoding: TextEncoding, where: string): Buffer {
  if (encoding === 'utf-8') return Buffer.from(value, 'utf8');
  const bytes = iconv.encode(value, encoding);
  if (iconv.decode(bytes, encoding) !== value) {
    const missing = [...value].find((character) => iconv.decode(iconv.encode(character, encoding), encoding) !== character);
    throw new Error(`${where}: ${JSON.stringify(missing ?? value)} cannot be written in ${encoding.toUpperCase()}`);
  }
  return bytes;
}
