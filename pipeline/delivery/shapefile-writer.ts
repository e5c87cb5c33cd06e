import { writeFile } from 'node:fs/promises';
import type { MultiPolygon, Polygon } from 'geojson';
import type { AttributeValue } from '../readers/feature-source.js';
import { FILE_CODE, MAIN_HEADER_BYTES, SHAPEFILE_VERSION } from '../readers/shapefile/main-file-header.js';
import { SHAPE_POLYGON } from '../readers/shapefile/shape-types.js';
import { BufferedFileWriter } from './buffered-file-writer.js';
import { encodeDbfHeader, placeFields, recordBytes, type FieldSpec } from './dbf-field-spec.js';
import { createRecordEncoder, type RecordEncoder, type TextEncoding } from './dbf-record-encoder.js';
import { encodePolygon } from './polygon-record-encoder.js';

export type { FieldSpec } from './dbf-field-spec.js';
export type { TextEncoding } from './dbf-record-encoder.js';

/**
 * Writes an ESRI Shapefile (.shp, .shx, .dbf, and .prj / .cpg when asked) one feature at a
 * time, as counties deliver 三调 data: for sample deliveries and for tests of the readers.
 * Records go to disk as they come, through one buffer per file; the headers, whose lengths,
 * bounding box and record count are known only at the end, are patched in place by `close()`.
 */
export interface ShapefileWriterOptions {
  /** The file's one shape type: polygons (parcels, outlines) are all deliveries hold. */
  readonly shapeType: 'polygon';
  readonly fields: readonly FieldSpec[];
  /** Encoding of text values: `gbk` like most county deliveries, `gb18030` for characters GBK lacks, `utf-8`. */
  readonly encoding: TextEncoding;
  /** WKT for the .prj; null writes no .prj (a delivery that does not say its CRS). */
  readonly prj: string | null;
  /** Whether to write a .cpg naming the encoding; many real deliveries have none. */
  readonly cpg: boolean;
  /** The .dbf's "last updated" date; default: now. Fix it for byte-identical output. */
  readonly lastUpdate?: Date;
}

export interface ShapefileWriter {
  /** The .shp written (the other files sit beside it). */
  readonly file: string;
  /**
   * Appends a feature; await each call before the next. Properties are keyed by field name (a
   * key without a field is an error); null or absent values are written blank. A null geometry
   * is written as a null shape. Throws, writing nothing, when a value or ring cannot be written.
   */
  write(properties: Readonly<Record<string, AttributeValue | undefined>>, geometry: Polygon | MultiPolygon | null): Promise<void>;
  /** Writes the headers and closes the files; safe to call more than once. */
  close(): Promise<void>;
}

/** The .cpg's text and the .dbf's language driver id for each encoding (0x4D: code page 936, GBK). */
const ENCODING_MARKS: Readonly<Record<TextEncoding, { cpg: string; languageDriverId: number }>> = {
  gbk: { cpg: 'GBK', languageDriverId: 0x4d },
  gb18030: { cpg: 'GB18030', languageDriverId: 0 },
  'utf-8': { cpg: 'UTF-8', languageDriverId: 0 },
};

const RECORD_HEADER_BYTES = 8;
const DBF_END_OF_FILE = 0x1a;
/** Offsets are stored in 16-bit words in a signed 32-bit integer; ESRI caps files at 2 GB. */
const MAX_FILE_BYTES = 2 ** 31 - 1;

/** `basePath` is the path without extension (a trailing .shp is dropped). */
export async function createShapefileWriter(basePath: string, options: ShapefileWriterOptions): Promise<ShapefileWriter> {
  if (options.shapeType !== 'polygon') throw new Error(`shapeType: ${JSON.stringify(options.shapeType)} is not 'polygon'`);
  if (!(options.encoding in ENCODING_MARKS)) throw new Error(`encoding: ${JSON.stringify(options.encoding)} is not one of gbk, gb18030, utf-8`);
  const fields = placeFields(options.fields);
  const base = basePath.replace(/\.shp$/i, '');
  const marks = ENCODING_MARKS[options.encoding];
  const dbfHeader = (count: number) => encodeDbfHeader(fields, count, options.lastUpdate ?? new Date(), marks.languageDriverId);

  if (options.prj !== null) await writeFile(`${base}.prj`, options.prj);
  if (options.cpg) await writeFile(`${base}.cpg`, marks.cpg);
  const files = {
    shp: await BufferedFileWriter.create(`${base}.shp`),
    shx: await BufferedFileWriter.create(`${base}.shx`),
    dbf: await BufferedFileWriter.create(`${base}.dbf`),
  };
  // Placeholders, rewritten by close() once lengths, extent and count are known.
  await files.shp.append(Buffer.alloc(MAIN_HEADER_BYTES));
  await files.shx.append(Buffer.alloc(MAIN_HEADER_BYTES));
  await files.dbf.append(dbfHeader(0));
  return new PolygonShapefileWriter(`${base}.shp`, files, createRecordEncoder(fields, options.encoding, recordBytes(fields)), dbfHeader);
}

interface WriterFiles {
  readonly shp: BufferedFileWriter;
  readonly shx: BufferedFileWriter;
  readonly dbf: BufferedFileWriter;
}

class PolygonShapefileWriter implements ShapefileWriter {
  private count = 0;
  private isWriting = false;
  private isClosed = false;
  /** minX, minY, maxX, maxY of the non-null shapes so far. */
  private readonly extent = [Infinity, Infinity, -Infinity, -Infinity];

  constructor(
    readonly file: string,
    private readonly files: WriterFiles,
    private readonly encodeRecord: RecordEncoder,
    private readonly dbfHeader: (count: number) => Buffer,
  ) {}

  async write(properties: Readonly<Record<string, AttributeValue | undefined>>, geometry: Polygon | MultiPolygon | null): Promise<void> {
    if (this.isClosed) throw new Error(`${this.file}: write() after close()`);
    if (this.isWriting) throw new Error(`${this.file}: write() called before the previous write() finished`);
    this.isWriting = true;
    try {
      const feature = this.count + 1;
      // Encode both before writing either, so that a refused feature leaves the files consistent.
      const shape = encodePolygon(geometry, feature);
      const record = this.encodeRecord(properties, feature);
      const offset = this.files.shp.offset;
      if (offset + RECORD_HEADER_BYTES + shape.content.length > MAX_FILE_BYTES) throw new Error(`${this.file}: feature ${feature} would take the file past 2 GB`);
      await this.files.shp.append(wordPair(feature, shape.content.length / 2));
      await this.files.shp.append(shape.content);
      await this.files.shx.append(wordPair(offset / 2, shape.content.length / 2));
      await this.files.dbf.append(record);
      this.count = feature;
      if (shape.bbox) this.extendBy(shape.bbox);
    } finally {
      this.isWriting = false;
    }
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const { shp, shx, dbf } = this.files;
    // A file of null shapes only has an all-zero extent.
    const bbox = this.extent[0] === Infinity ? [0, 0, 0, 0] : this.extent;
    try {
      await dbf.append(Buffer.from([DBF_END_OF_FILE]));
      await shp.patch(mainFileHeader(shp.offset, bbox), 0);
      await shx.patch(mainFileHeader(shx.offset, bbox), 0);
      await dbf.patch(this.dbfHeader(this.count), 0);
    } finally {
      await Promise.all([shp.close(), shx.close(), dbf.close()]);
    }
  }

  private extendBy(bbox: readonly [number, number, number, number]): void {
    this.extent[0] = Math.min(this.extent[0]!, bbox[0]);
    this.extent[1] = Math.min(this.extent[1]!, bbox[1]);
    this.extent[2] = Math.max(this.extent[2]!, bbox[2]);
    this.extent[3] = Math.max(this.extent[3]!, bbox[3]);
  }
}

/** Two big-endian int32: a record header (number, content length) or a .shx entry (offset, content length), in 16-bit words. */
function wordPair(first: number, second: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeInt32BE(first, 0);
  bytes.writeInt32BE(second, 4);
  return bytes;
}

/** The 100-byte header of the .shp and the .shx: file code, length in words, version, shape type, extent (Z and M ranges zero). */
function mainFileHeader(fileBytes: number, bbox: readonly number[]): Buffer {
  const header = Buffer.alloc(MAIN_HEADER_BYTES);
  header.writeInt32BE(FILE_CODE, 0);
  header.writeInt32BE(fileBytes / 2, 24);
  header.writeInt32LE(SHAPEFILE_VERSION, 28);
  header.writeInt32LE(SHAPE_POLYGON, 32);
  bbox.forEach((value, i) => header.writeDoubleLE(value, 36 + 8 * i));
  return header;
}
