/**
 * The columns of a .dbf to write, as dBASE III declares them: character (C), numeric (N),
 * float (F), date (D) and logical (L).
 */
export interface FieldSpec {
  /** 1–10 ASCII letters, digits or underscores, starting with a letter; unique ignoring case. */
  readonly name: string;
  readonly type: 'C' | 'N' | 'F' | 'D' | 'L';
  /** Width in bytes: C 1–254 (encoded bytes, not characters), N and F 1–20; D is always 8 and L 1. */
  readonly length?: number;
  /** Digits after the point, N and F only: 0 (default) up to length − 2 and at most 15. */
  readonly decimals?: number;
}

/** A checked field with its place in the record. */
export interface PlacedField {
  readonly name: string;
  readonly type: FieldSpec['type'];
  readonly length: number;
  readonly decimals: number;
  /** Offset in the record; byte 0 is the deletion flag. */
  readonly offset: number;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,9}$/;
const MAX_TEXT_BYTES = 254;
const MAX_NUMBER_DIGITS = 20;
const MAX_DECIMALS = 15;
/** dBASE III allows 128 fields; shapelib and GDAL go up to 255. */
const MAX_FIELDS = 255;
const DESCRIPTOR_BYTES = 32;
const PROLOGUE_BYTES = 32;

/** Checks the specs (errors name the option, e.g. `fields[2].length`) and lays them out in a record. */
export function placeFields(specs: readonly FieldSpec[]): PlacedField[] {
  if (specs.length > MAX_FIELDS) throw new Error(`fields: ${specs.length} fields, at most ${MAX_FIELDS}`);
  const names = new Set<string>();
  let offset = 1;
  const fields = specs.map((spec, i) => {
    const option = `fields[${i}]`;
    if (!NAME.test(spec.name)) throw new Error(`${option}.name: ${JSON.stringify(spec.name)} is not 1–10 ASCII letters, digits or _ starting with a letter`);
    if (names.has(spec.name.toUpperCase())) throw new Error(`${option}.name: ${spec.name} is declared twice`);
    names.add(spec.name.toUpperCase());
    const field = { name: spec.name, type: spec.type, ...checkSize(spec, option), offset };
    offset += field.length;
    return field;
  });
  // The record length is a 16-bit header field.
  if (offset > 0xffff) throw new Error(`fields: records of ${offset} bytes, at most 65535`);
  return fields;
}

function checkSize(spec: FieldSpec, option: string): { length: number; decimals: number } {
  const length = spec.length;
  const decimals = spec.decimals ?? 0;
  switch (spec.type) {
    case 'D':
    case 'L':
      if (length !== undefined || spec.decimals !== undefined) throw new Error(`${option}: a ${spec.type} field has a fixed width; leave out length and decimals`);
      return { length: spec.type === 'D' ? 8 : 1, decimals: 0 };
    case 'C':
      if (!isIntegerIn(length, 1, MAX_TEXT_BYTES)) throw new Error(`${option}.length: ${length} is out of range 1–${MAX_TEXT_BYTES} for a C field`);
      if (spec.decimals !== undefined) throw new Error(`${option}.decimals: a C field has no decimals`);
      return { length, decimals: 0 };
    case 'N':
    case 'F':
      if (!isIntegerIn(length, 1, MAX_NUMBER_DIGITS)) throw new Error(`${option}.length: ${length} is out of range 1–${MAX_NUMBER_DIGITS} for an ${spec.type} field`);
      // A decimal needs a digit and the point before it.
      const maxDecimals = Math.max(0, Math.min(MAX_DECIMALS, length - 2));
      if (!isIntegerIn(decimals, 0, maxDecimals)) throw new Error(`${option}.decimals: ${decimals} is out of range 0–${maxDecimals} for length ${length}`);
      return { length, decimals };
    default:
      throw new Error(`${option}.type: ${JSON.stringify(spec.type)} is not one of C, N, F, D, L`);
  }
}

function isIntegerIn(value: number | undefined, min: number, max: number): value is number {
  return value !== undefined && Number.isInteger(value) && value >= min && value <= max;
}

/** Bytes of one record: the deletion flag and every field. */
export function recordBytes(fields: readonly PlacedField[]): number {
  return fields.reduce((sum, field) => sum + field.length, 1);
}

/**
 * The dBASE III header: version 3, last update, record count (patched at close), header and record
 * lengths, language driver id, then one 32-byte descriptor per field and the 0x0D terminator.
 */
export function encodeDbfHeader(fields: readonly PlacedField[], recordCount: number, lastUpdate: Date, languageDriverId: number): Buffer {
  const headerBytes = PROLOGUE_BYTES + fields.length * DESCRIPTOR_BYTES + 1;
  const header = Buffer.alloc(headerBytes);
  header[0] = 0x03;
  header[1] = lastUpdate.getUTCFullYear() - 1900;
  header[2] = lastUpdate.getUTCMonth() + 1;
  header[3] = lastUpdate.getUTCDate();
  header.writeUInt32LE(recordCount, 4);
  header.writeUInt16LE(headerBytes, 8);
  header.writeUInt16LE(recordBytes(fields), 10);
  header[29] = languageDriverId;
  fields.forEach((field, i) => {
    const at = PROLOGUE_BYTES + i * DESCRIPTOR_BYTES;
    header.write(field.name, at, 'latin1');
    header[at + 11] = field.type.charCodeAt(0);
    header[at + 16] = field.length;
    header[at + 17] = field.decimals;
  });
  header[headerBytes - 1] = 0x0d;
  return header;
}
