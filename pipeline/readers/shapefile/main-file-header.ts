import { ImportError } from '../../../core/errors.js';
import { SHAPE_MULTIPATCH, SHAPE_NULL, shapeKind, type ShapeKind } from './shape-types.js';

/**
 * The 100-byte header shared by the main file (.shp) and the index (.shx): ESRI Shapefile
 * Technical Description (1998), "Organization of the Main File". Big-endian and little-endian
 * fields are mixed, as the spec lays them out.
 */
export const MAIN_HEADER_BYTES = 100;
export const FILE_CODE = 9994;
export const SHAPEFILE_VERSION = 1000;

const OFFSET_FILE_CODE = 0; // int32 big-endian
const OFFSET_FILE_LENGTH = 24; // int32 big-endian, in 16-bit words, header included
const OFFSET_VERSION = 28; // int32 little-endian
const OFFSET_SHAPE_TYPE = 32; // int32 little-endian

export interface MainFileHeader {
  /** The file's length as its header states it, in bytes. */
  readonly fileBytes: number;
  /** The one shape type of every non-null record; null for a file of null shapes only. */
  readonly kind: ShapeKind | null;
}

/** Reads and checks a .shp or .shx header; `file` names the file in errors. */
export function parseMainFileHeader(bytes: Buffer, file: string): MainFileHeader {
  if (bytes.length < MAIN_HEADER_BYTES) {
    throw new ImportError({ file }, `is ${bytes.length} bytes, shorter than the ${MAIN_HEADER_BYTES}-byte shapefile header`);
  }
  const fileCode = bytes.readInt32BE(OFFSET_FILE_CODE);
  if (fileCode !== FILE_CODE) {
    throw new ImportError({ file }, `is not a shapefile: its file code is ${fileCode}, not ${FILE_CODE}`);
  }
  const version = bytes.readInt32LE(OFFSET_VERSION);
  if (version !== SHAPEFILE_VERSION) {
    throw new ImportError({ file }, `has shapefile version ${version}; only version ${SHAPEFILE_VERSION} exists`);
  }
  const fileBytes = bytes.readInt32BE(OFFSET_FILE_LENGTH) * 2;
  if (fileBytes < MAIN_HEADER_BYTES) {
    throw new ImportError({ file }, `states a file length of ${fileBytes} bytes, shorter than its own header`);
  }
  const code = bytes.readInt32LE(OFFSET_SHAPE_TYPE);
  return { fileBytes, kind: code === SHAPE_NULL ? null : knownKind(code, { file }) };
}

/** The kind of a shape type code read from `location`, or an ImportError saying why it cannot be read. */
export function knownKind(code: number, location: { file: string; feature?: number }): ShapeKind {
  const kind = shapeKind(code);
  if (kind) return kind;
  if (code === SHAPE_MULTIPATCH) throw new ImportError(location, 'has shape type 31 (MultiPatch), which this reader does not support');
  throw new ImportError(location, `has shape type ${code}, which is not a shape type of the ESRI Shapefile specification`);
}
