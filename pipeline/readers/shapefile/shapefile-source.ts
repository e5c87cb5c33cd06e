import type { FileHandle } from 'node:fs/promises';
import { ImportError } from '../../../core/errors.js';
import type { CrsHint, FeatureSource, FieldInfo, SourceFeature } from '../feature-source.js';
import { BufferedFileReader } from './buffered-file-reader.js';
import type { DbfEncoding } from './dbf-encoding.js';
import { fieldInfo, type NamedDbfField } from './dbf-fields.js';
import type { DbfHeader } from './dbf-header.js';
import { createRecordDecoder } from './dbf-record.js';
import { MAIN_HEADER_BYTES, type MainFileHeader } from './main-file-header.js';
import { parseShape } from './shape-record.js';
import type { ShapefileFiles } from './sidecar-files.js';

/** A shapefile's features; `encoding` says how its text was decoded and why. */
export interface ShapefileSource extends FeatureSource {
  readonly encoding: DbfEncoding;
}

/** What `openShapefile` has read and checked before any feature is read. */
export interface OpenedShapefile {
  readonly files: ShapefileFiles;
  readonly shp: FileHandle;
  readonly dbf: FileHandle;
  /** The .shp's size on disk, which may fall short of what its header states. */
  readonly shpBytes: number;
  readonly shpHeader: MainFileHeader;
  /** Records the .shx indexes. */
  readonly indexedRecords: number;
  readonly dbfHeader: DbfHeader;
  readonly fields: readonly NamedDbfField[];
  readonly encoding: DbfEncoding;
  readonly crs: CrsHint | null;
}

/** Each .shp record starts with its number and its content length in 16-bit words, both big-endian. */
const RECORD_HEADER_BYTES = 8;
const OFFSET_CONTENT_WORDS = 4;

/**
 * Reads the .shp and the .dbf side by side, one record of each at a time, through a buffer of
 * one chunk per file: memory stays flat whatever the file's size. Records the .dbf marks deleted
 * are skipped (as GDAL does); `index` still counts them, so it stays the record's position.
 */
export class ShapefileFeatureSource implements ShapefileSource {
  readonly file: string;
  readonly crs: CrsHint | null;
  readonly fields: readonly FieldInfo[];
  readonly encoding: DbfEncoding;
  readonly featureCount: number;
  private state: 'ready' | 'read' | 'closed' = 'ready';

  constructor(private readonly opened: OpenedShapefile) {
    this.file = opened.files.shp;
    this.crs = opened.crs;
    this.fields = opened.fields.map(fieldInfo);
    this.encoding = opened.encoding;
    this.featureCount = opened.indexedRecords;
  }

  features(signal?: AbortSignal): AsyncIterable<SourceFeature> {
    if (this.state === 'closed') throw new Error(`${this.file}: features() called after close()`);
    if (this.state === 'read') throw new Error(`${this.file}: features() can be read once; open the shapefile again to read it again`);
    this.state = 'read';
    return this.readFeatures(signal);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await Promise.all([this.opened.shp.close(), this.opened.dbf.close()]);
  }

  private async *readFeatures(signal: AbortSignal | undefined): AsyncGenerator<SourceFeature> {
    const { files, shpHeader, dbfHeader, indexedRecords } = this.opened;
    const shp = new BufferedFileReader(this.opened.shp, MAIN_HEADER_BYTES);
    const dbf = new BufferedFileReader(this.opened.dbf, dbfHeader.headerBytes);
    const decodeRecord = createRecordDecoder(this.opened.fields, this.encoding, files.dbf);
    // A header stating more than the file holds is a truncated file: the record that crosses the
    // real end is named. Bytes past the stated length are not records.
    const endOffset = Math.min(this.opened.shpBytes, shpHeader.fileBytes);
    let index = 0;
    while (shp.offset < shpHeader.fileBytes) {
      signal?.throwIfAborted();
      index++;
      const location = { file: files.shp, feature: index };
      const recordHeader = await shp.read(RECORD_HEADER_BYTES);
      if (recordHeader.length < RECORD_HEADER_BYTES || shp.offset > endOffset) {
        throw new ImportError(location, `starts at byte ${shp.offset - recordHeader.length}, but the file ends at byte ${endOffset} (its header states ${shpHeader.fileBytes}): the .shp is truncated`);
      }
      const contentBytes = recordHeader.readInt32BE(OFFSET_CONTENT_WORDS) * 2;
      if (contentBytes < 4) throw new ImportError(location, `states a record length of ${contentBytes} bytes`);
      if (shp.offset + contentBytes > endOffset) {
        throw new ImportError(location, `has a record of ${contentBytes} bytes running to byte ${shp.offset + contentBytes}, past the end of the file at byte ${endOffset}: the .shp is truncated`);
      }
      const geometry = parseShape(await shp.read(contentBytes), shpHeader.kind, location);
      if (index > dbfHeader.recordCount) {
        throw new ImportError({ file: files.dbf, feature: index }, `has no attributes: the .dbf holds only ${dbfHeader.recordCount} records`);
      }
      const properties = decodeRecord(await dbf.read(dbfHeader.recordBytes), index);
      if (properties !== null) yield { index, properties, geometry };
    }
    if (index < dbfHeader.recordCount) {
      throw new ImportError({ file: files.shp, feature: index + 1 }, `has attributes in the .dbf but no shape: the .shp ends after ${index} records`);
    }
    if (index !== indexedRecords) throw new ImportError({ file: files.shx }, `indexes ${indexedRecords} shapes, but the .shp holds ${index}`);
  }
}
