import { ImportError } from '../../../core/errors.js';

/**
 * The header of a dBASE III table (.dbf) as shapefiles use it: a 32-byte prologue, 32-byte field
 * descriptors ended by 0x0D, then fixed-length records each led by a deletion flag. Layout from
 * the dBASE III PLUS file format ("Xbase" structure, as in the ESRI Shapefile spec, 1998, p. 25).
 */

export const DBF_PROLOGUE_BYTES = 32;
const DESCRIPTOR_BYTES = 32;
const HEADER_TERMINATOR = 0x0d;

const OFFSET_RECORD_COUNT = 4; // uint32 little-endian
const OFFSET_HEADER_BYTES = 8; // uint16 little-endian
const OFFSET_RECORD_BYTES = 10; // uint16 little-endian
const OFFSET_LANGUAGE_DRIVER = 29; // code page mark, see dbf-encoding.ts

const DESCRIPTOR_NAME_BYTES = 11; // NUL-padded
const DESCRIPTOR_TYPE = 11;
const DESCRIPTOR_LENGTH = 16;
const DESCRIPTOR_DECIMALS = 17;

/** Field types this reader decodes: character, numeric, float, logical, date. */
export type DbfFieldType = 'C' | 'N' | 'F' | 'L' | 'D';
const FIELD_TYPES = new Set<string>(['C', 'N', 'F', 'L', 'D']);
const UNSUPPORTED_TYPE_NAMES: Readonly<Record<string, string>> = { M: 'memo', B: 'binary', G: 'OLE', I: 'integer (binary)', O: 'double (binary)', T: 'date-time', '@': 'timestamp', '+': 'autoincrement', Y: 'currency' };

export interface DbfField {
  /** The name's bytes, NUL padding removed; decoded once the table's encoding is known. */
  readonly nameBytes: Buffer;
  readonly type: DbfFieldType;
  /** Offset of the value in a record (the deletion flag is byte 0). */
  readonly offset: number;
  readonly length: number;
  readonly decimals: number;
}

export interface DbfHeader {
  readonly recordCount: number;
  readonly headerBytes: number;
  readonly recordBytes: number;
  readonly languageDriverId: number;
  readonly fields: readonly DbfField[];
}

/** Reads the prologue: how long the whole header is, so it can be read in one go. */
export function dbfHeaderBytes(prologue: Buffer, file: string, fileBytes: number): number {
  if (prologue.length < DBF_PROLOGUE_BYTES) {
    throw new ImportError({ file }, `is ${fileBytes} bytes, shorter than the ${DBF_PROLOGUE_BYTES}-byte dBASE header`);
  }
  const headerBytes = prologue.readUInt16LE(OFFSET_HEADER_BYTES);
  if (headerBytes < DBF_PROLOGUE_BYTES + 1 || headerBytes > fileBytes) {
    throw new ImportError({ file }, `states a header of ${headerBytes} bytes in a file of ${fileBytes} bytes`);
  }
  return headerBytes;
}

/** Parses and checks the whole header against the file's size; field names stay raw bytes. */
export function parseDbfHeader(header: Buffer, file: string, fileBytes: number): DbfHeader {
  const recordCount = header.readUInt32LE(OFFSET_RECORD_COUNT);
  const recordBytes = header.readUInt16LE(OFFSET_RECORD_BYTES);
  const fields: DbfField[] = [];
  let offset = 1;
  for (let at = DBF_PROLOGUE_BYTES; at + DESCRIPTOR_BYTES <= header.length && header[at] !== HEADER_TERMINATOR; at += DESCRIPTOR_BYTES) {
    const field = parseDescriptor(header.subarray(at, at + DESCRIPTOR_BYTES), offset, file, fields.length + 1);
    fields.push(field);
    offset += field.length;
  }
  if (offset !== recordBytes) {
    throw new ImportError({ file }, `states records of ${recordBytes} bytes, but its fields and the deletion flag add up to ${offset}`);
  }
  checkSize(file, fileBytes, header.length, recordCount, recordBytes);
  return { recordCount, headerBytes: header.length, recordBytes, languageDriverId: header[OFFSET_LANGUAGE_DRIVER]!, fields };
}

function parseDescriptor(descriptor: Buffer, offset: number, file: string, position: number): DbfField {
  const nameEnd = descriptor.subarray(0, DESCRIPTOR_NAME_BYTES).indexOf(0);
  const nameBytes = Buffer.from(descriptor.subarray(0, nameEnd === -1 ? DESCRIPTOR_NAME_BYTES : nameEnd));
  // The name's encoding is not known yet; ASCII (or its position) is enough to say which field is wrong.
  const field = nameBytes.every((byte) => byte < 0x80) ? nameBytes.toString('latin1') : `number ${position}`;
  const type = String.fromCharCode(descriptor[DESCRIPTOR_TYPE]!);
  const length = descriptor[DESCRIPTOR_LENGTH]!;
  const decimals = descriptor[DESCRIPTOR_DECIMALS]!;
  if (!FIELD_TYPES.has(type)) {
    const known = UNSUPPORTED_TYPE_NAMES[type];
    throw new ImportError({ file, field }, `has type ${JSON.stringify(type)}${known ? ` (${known})` : ''}; a shapefile's fields are C, N, F, L or D`);
  }
  if (length === 0) throw new ImportError({ file, field }, 'has length 0');
  return { nameBytes, type: type as DbfFieldType, offset, length, decimals };
}

/** The record count must account for the file's size, with or without the end-of-file byte (0x1A) many writers add. */
function checkSize(file: string, fileBytes: number, headerBytes: number, recordCount: number, recordBytes: number): void {
  const expected = headerBytes + recordCount * recordBytes;
  if (fileBytes === expected || fileBytes === expected + 1) return;
  const held = (fileBytes - headerBytes) / recordBytes;
  throw new ImportError(
    { file },
    `states ${recordCount} records of ${recordBytes} bytes (${expected} bytes with the header), but the file is ${fileBytes} bytes, room for ${Number.isInteger(held) ? held : held.toFixed(2)} records`,
  );
}
