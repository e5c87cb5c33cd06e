import type { Geometry } from 'geojson';
import { WkbCursor, type GeometryLocation } from './wkb-cursor.js';
import { readWkbGeometry } from './wkb-geometry.js';

/**
 * A GeoPackage geometry blob (OGC 12-128r18 §2.1.3.1.1, StandardGeoPackageBinary): a header of
 * magic 'GP', a version, a flags byte, the srs_id and an optional envelope, then one WKB
 * geometry. The envelope is skipped (it only serves spatial indexes).
 *
 * Flags, from bit 7 to bit 0: two reserved bits, X (1 = ExtendedGeoPackageBinary, a body in an
 * extension's own encoding), Y (1 = empty geometry), three bits E giving the envelope's size, and
 * B, the byte order of srs_id and envelope (1 = little-endian; the WKB states its own).
 */

const MAGIC_G = 0x47;
const MAGIC_P = 0x50;
const OFFSET_VERSION = 2;
const OFFSET_FLAGS = 3;
const OFFSET_SRS_ID = 4;
const HEADER_BYTES = 8;
/** Version 1 of the binary format is written as 0; no other is defined. */
const VERSION_1 = 0;

const FLAG_LITTLE_ENDIAN = 0b0000_0001;
const MASK_ENVELOPE = 0b0000_1110;
const SHIFT_ENVELOPE = 1;
const FLAG_EMPTY = 0b0001_0000;
const FLAG_EXTENDED = 0b0010_0000;
/** Bytes of envelope for each indicator: none, xy, xyz, xym, xyzm; 5 to 7 are invalid. */
const ENVELOPE_BYTES: readonly number[] = [0, 32, 48, 48, 64];
const EXTENSION_CODE_BYTES = 4;

/** The geometry of one blob, or null when it is empty. `srsId` is the column's: every blob must state it. */
export function decodeGeometryBlob(blob: Uint8Array, srsId: number, location: GeometryLocation): Geometry | null {
  const cursor = new WkbCursor(blob, 0, location);
  const isEmpty = readHeader(cursor, blob, srsId);
  // An empty geometry still carries WKB (e.g. POINT EMPTY); the flag is authoritative.
  if (isEmpty) return null;
  const geometry = readWkbGeometry(cursor);
  if (cursor.remainingBytes > 0) {
    cursor.fail(`has a geometry blob of ${blob.length} bytes whose WKB geometry ends at byte ${cursor.offset}: ${cursor.remainingBytes} bytes follow it`);
  }
  return geometry;
}

/** Checks the header and leaves the cursor at the WKB; returns the empty flag. */
function readHeader(cursor: WkbCursor, blob: Uint8Array, srsId: number): boolean {
  if (blob[0] !== MAGIC_G || blob[1] !== MAGIC_P) {
    const start = Buffer.from(blob.subarray(0, 2)).toString('hex') || 'nothing';
    cursor.fail(`has a geometry blob starting with 0x${start}, not 'GP' (0x4750): it is not a GeoPackage geometry`);
  }
  cursor.require(HEADER_BYTES, 'the GeoPackage geometry header');
  const version = blob[OFFSET_VERSION]!;
  if (version !== VERSION_1) cursor.fail(`has a geometry blob of binary format version byte ${version}; only 0 (version 1) is defined`);
  const flags = blob[OFFSET_FLAGS]!;
  cursor.isLittleEndian = (flags & FLAG_LITTLE_ENDIAN) !== 0;
  cursor.offset = OFFSET_SRS_ID;
  const blobSrsId = cursor.int32('the srs_id of the geometry header');
  if (blobSrsId !== srsId) {
    // The coordinates would be taken to be in the column's CRS: refuse rather than misplace them.
    cursor.fail(`has a geometry blob in srs_id ${blobSrsId}, but gpkg_geometry_columns declares srs_id ${srsId} for the column`);
  }
  const envelopeIndicator = (flags & MASK_ENVELOPE) >> SHIFT_ENVELOPE;
  const envelopeBytes = ENVELOPE_BYTES[envelopeIndicator];
  if (envelopeBytes === undefined) cursor.fail(`has a geometry blob with envelope indicator ${envelopeIndicator}; only 0 to 4 are defined`);
  cursor.require(envelopeBytes, 'the envelope of the geometry header');
  cursor.offset += envelopeBytes;
  if ((flags & FLAG_EXTENDED) !== 0) {
    cursor.require(EXTENSION_CODE_BYTES, 'the extension code of an ExtendedGeoPackageBinary geometry');
    const code = Buffer.from(blob.subarray(cursor.offset, cursor.offset + EXTENSION_CODE_BYTES)).toString('latin1');
    cursor.fail(`has an ExtendedGeoPackageBinary geometry (extension code ${JSON.stringify(code)}), whose encoding only its extension defines; it cannot be read`);
  }
  return (flags & FLAG_EMPTY) !== 0;
}
