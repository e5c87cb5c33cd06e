import { open, readFile, type FileHandle } from 'node:fs/promises';
import { ConfigError, ImportError } from '../../../core/errors.js';
import type { CrsHint } from '../feature-source.js';
import { decoderLabel } from './dbf-encoding.js';
import { nameFields } from './dbf-fields.js';
import { DBF_PROLOGUE_BYTES, dbfHeaderBytes, parseDbfHeader } from './dbf-header.js';
import { MAIN_HEADER_BYTES, parseMainFileHeader } from './main-file-header.js';
import { resolveDbfEncoding, type ConfiguredEncoding } from './resolve-dbf-encoding.js';
import { ShapefileFeatureSource, type ShapefileSource } from './shapefile-source.js';
import { findShapefileFiles } from './sidecar-files.js';

export type { ShapefileSource } from './shapefile-source.js';

/**
 * Opens an ESRI Shapefile (.shp with its .shx, .dbf, and optional .prj and .cpg) as a
 * FeatureSource.
 *
 * The formats are read here rather than with the `shapefile` package (mbostock, 0.6.6, last
 * released 2017): that package streams, but it decodes text without `fatal` (bad bytes become
 * U+FFFD silently), reads no .cpg or language driver id, and its errors name no file, feature or
 * field. The .shp and .dbf layouts are small and fully specified (ESRI Shapefile Technical
 * Description, 1998; dBASE III), and owning them gives exact errors and full control of decoding.
 *
 * Everything that can be checked without reading the records is checked here: the headers,
 * the .dbf's size against its record count, record counts of .shx and .dbf against each other,
 * and the encoding. Records are then read one at a time by `features()`.
 */
export interface ShapefileOptions {
  /**
   * The dataset's encoding for .dbf text (e.g. `GBK`, `UTF-8`), used when the files name none: no
   * .cpg and no Chinese language driver id. Default: detected (UTF-8 if valid, else GB18030).
   */
  readonly encoding?: string;
}

export async function openShapefile(path: string, options: ShapefileOptions = {}): Promise<ShapefileSource> {
  const configured = checkEncodingOption(options.encoding);
  const files = await findShapefileFiles(path);
  const handles: FileHandle[] = [];
  try {
    const shp = await openFile(files.shp, handles);
    const shpBytes = (await shp.stat()).size;
    const shpHeader = parseMainFileHeader(await readAt(shp, 0, MAIN_HEADER_BYTES), files.shp);
    const indexedRecords = await readIndexRecordCount(files.shx);
    const dbf = await openFile(files.dbf, handles);
    const dbfBytes = (await dbf.stat()).size;
    const headerBytes = dbfHeaderBytes(await readAt(dbf, 0, DBF_PROLOGUE_BYTES), files.dbf, dbfBytes);
    const dbfHeader = parseDbfHeader(await readAt(dbf, 0, headerBytes), files.dbf, dbfBytes);
    if (dbfHeader.recordCount < indexedRecords) {
      throw new ImportError(
        { file: files.dbf, feature: dbfHeader.recordCount + 1 },
        `has no attributes: the .dbf holds ${dbfHeader.recordCount} records, but the .shx indexes ${indexedRecords} shapes`,
      );
    }
    if (dbfHeader.recordCount > indexedRecords) {
      throw new ImportError(
        { file: files.shp, feature: indexedRecords + 1 },
        `has attributes but no shape: the .dbf holds ${dbfHeader.recordCount} records, but the .shx indexes ${indexedRecords} shapes`,
      );
    }
    const encoding = await resolveDbfEncoding(files.cpg, dbfHeader, dbf, configured);
    const fields = nameFields(dbfHeader.fields, encoding, files.dbf);
    const crs = await readPrj(files.prj);
    return new ShapefileFeatureSource({ files, shp, dbf, shpBytes, shpHeader, indexedRecords, dbfHeader, fields, encoding, crs });
  } catch (error) {
    await Promise.all(handles.map((handle) => handle.close()));
    throw error;
  }
}

function checkEncodingOption(encoding: string | undefined): ConfiguredEncoding | null {
  if (encoding === undefined) return null;
  const label = decoderLabel(encoding);
  if (label === null) throw new ConfigError(`encoding ${JSON.stringify(encoding)} is not an encoding Node can decode (e.g. GBK, GB18030, UTF-8)`);
  return { label, name: encoding };
}

/** The .shx holds one 8-byte entry per record after its header; only its count is used (the .shp is read in order). */
async function readIndexRecordCount(shx: string): Promise<number> {
  const handles: FileHandle[] = [];
  try {
    const handle = await openFile(shx, handles);
    const header = parseMainFileHeader(await readAt(handle, 0, MAIN_HEADER_BYTES), shx);
    const actualBytes = (await handle.stat()).size;
    const entryBytes = header.fileBytes - MAIN_HEADER_BYTES;
    if (entryBytes % 8 !== 0) throw new ImportError({ file: shx }, `states a length of ${header.fileBytes} bytes, which is not a whole number of 8-byte entries after the header`);
    if (actualBytes < header.fileBytes) throw new ImportError({ file: shx }, `is ${actualBytes} bytes, but its header states ${header.fileBytes}: the .shx is truncated`);
    return entryBytes / 8;
  } finally {
    await Promise.all(handles.map((handle) => handle.close()));
  }
}

async function openFile(file: string, handles: FileHandle[]): Promise<FileHandle> {
  try {
    const handle = await open(file, 'r');
    handles.push(handle);
    return handle;
  } catch (cause) {
    throw new ImportError({ file }, `cannot be opened (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** The .prj's WKT as written (ESRI or OGC flavour); interpreting it is the CRS step's job. */
async function readPrj(prj: string | null): Promise<CrsHint | null> {
  if (prj === null) return null;
  const wkt = (await readFile(prj, 'utf8')).replace(/^\uFEFF/, '').replace(/\0+$/, '').trim();
  return wkt === '' ? null : { kind: 'wkt', wkt };
}
