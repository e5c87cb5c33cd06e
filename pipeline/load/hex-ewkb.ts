import type { Geometry, Position } from 'geojson';
import { WKB_POINT, WKB_LINESTRING, WKB_POLYGON, WKB_MULTIPOINT, WKB_MULTILINESTRING, WKB_MULTIPOLYGON, WKB_GEOMETRYCOLLECTION, EWKB_Z, EWKB_SRID } from '../wkb/wkb-codes.js';

/**
 * A GeoJSON geometry as hex EWKB with its SRID (PostGIS's extended WKB: little-endian, the
 * 0x20000000 flag and a 4-byte SRID after the type of the outermost geometry), the text a
 * `geometry` column takes in COPY. PostGIS reads it as bytes, ~20x cheaper than parsing GeoJSON
 * with ST_GeomFromGeoJSON, and the doubles go through unchanged (no decimal round trip).
 *
 * It builds what `ST_SetSRID(ST_GeomFromGeoJSON(json), srid)` builds from the same geometry
 * (test/pipeline/load/hex-ewkb.test.ts compares both in PostGIS), including its handling of
 * heights: a geometry is 3D when any position has a third number, positions without one get
 * Z = 0, and numbers after the third are ignored. An empty Point is POINT EMPTY (NaN NaN). A 2D
 * collection (multi-geometry or GeometryCollection) whose members are all empty loses them, as
 * PostGIS's lwgeom_force_2d drops them at the end of the GeoJSON parse; -0 is written as 0, as
 * JSON.stringify wrote it.
 */

const BYTE_ORDER_LITTLE_ENDIAN = 1;

const BYTES_HEADER = 5;
const BYTES_SRID = 4;
const BYTES_COUNT = 4;
const BYTES_DOUBLE = 8;

/** Bytes the writer's buffer starts with: a parcel of ~30 vertices; it grows for larger ones. */
const INITIAL_BUFFER_BYTES = 1024;

export type HexEwkbWriter = (geometry: Geometry, srid: number) => string;

/**
 * A writer that reuses one buffer for every geometry, grown to the largest one seen (so
 * memory is bounded by the largest geometry): a stream of features allocates only the strings.
 */
export function createHexEwkbWriter(): HexEwkbWriter {
  let buffer = Buffer.alloc(INITIAL_BUFFER_BYTES);
  return (geometry, srid) => {
    const dimensions = hasHeight(geometry) ? 3 : 2;
    const bytes = BYTES_SRID + byteLength(geometry, dimensions);
    if (bytes > buffer.length) buffer = Buffer.alloc(Math.max(bytes, 2 * buffer.length));
    const writer = { buffer, offset: 0, dimensions };
    writeGeometry(writer, geometry, srid);
    return buffer.toString('hex', 0, bytes);
  };
}

/** One geometry; for a stream of them use createHexEwkbWriter. */
export function toHexEwkb(geometry: Geometry, srid: number): string {
  return createHexEwkbWriter()(geometry, srid);
}

interface Writer {
  readonly buffer: Buffer;
  offset: number;
  readonly dimensions: number;
}

function byteLength(geometry: Geometry, dimensions: number): number {
  const point = dimensions * BYTES_DOUBLE;
  switch (geometry.type) {
    case 'Point':
      return BYTES_HEADER + point;
    case 'LineString':
      return BYTES_HEADER + BYTES_COUNT + geometry.coordinates.length * point;
    case 'Polygon':
      return BYTES_HEADER + ringsLength(geometry.coordinates, point);
    case 'MultiPoint':
      return BYTES_HEADER + BYTES_COUNT + memberCount(geometry, dimensions) * (BYTES_HEADER + point);
    case 'MultiLineString': {
      const lines = geometry.coordinates.slice(0, memberCount(geometry, dimensions));
      return BYTES_HEADER + ringsLength(lines, point) + lines.length * BYTES_HEADER;
    }
    case 'MultiPolygon': {
      let bytes = BYTES_HEADER + BYTES_COUNT;
      for (let i = 0; i < memberCount(geometry, dimensions); i++) bytes += BYTES_HEADER + ringsLength(geometry.coordinates[i]!, point);
      return bytes;
    }
    case 'GeometryCollection': {
      let bytes = BYTES_HEADER + BYTES_COUNT;
      for (let i = 0; i < memberCount(geometry, dimensions); i++) bytes += byteLength(geometry.geometries[i]!, dimensions);
      return bytes;
    }
  }
}

/** A count, then each ring (or line) as a count and its points. */
function ringsLength(rings: readonly (readonly Position[])[], pointBytes: number): number {
  let bytes = BYTES_COUNT;
  for (const ring of rings) bytes += BYTES_COUNT + ring.length * pointBytes;
  return bytes;
}

function writeGeometry(writer: Writer, geometry: Geometry, srid: number | null): void {
  switch (geometry.type) {
    case 'Point':
      writeHeader(writer, WKB_POINT, srid);
      if (geometry.coordinates.length === 0) writeEmptyPoint(writer);
      else writePosition(writer, geometry.coordinates);
      return;
    case 'LineString':
      writeHeader(writer, WKB_LINESTRING, srid);
      writePositions(writer, geometry.coordinates);
      return;
    case 'Polygon':
      writeHeader(writer, WKB_POLYGON, srid);
      writeRings(writer, geometry.coordinates);
      return;
    case 'MultiPoint': {
      writeHeader(writer, WKB_MULTIPOINT, srid);
      const count = writeMemberCount(writer, geometry);
      for (let i = 0; i < count; i++) {
        writeHeader(writer, WKB_POINT, null);
        writePosition(writer, geometry.coordinates[i]!);
      }
      return;
    }
    case 'MultiLineString': {
      writeHeader(writer, WKB_MULTILINESTRING, srid);
      const count = writeMemberCount(writer, geometry);
      for (let i = 0; i < count; i++) {
        writeHeader(writer, WKB_LINESTRING, null);
        writePositions(writer, geometry.coordinates[i]!);
      }
      return;
    }
    case 'MultiPolygon': {
      writeHeader(writer, WKB_MULTIPOLYGON, srid);
      const count = writeMemberCount(writer, geometry);
      for (let i = 0; i < count; i++) {
        writeHeader(writer, WKB_POLYGON, null);
        writeRings(writer, geometry.coordinates[i]!);
      }
      return;
    }
    case 'GeometryCollection': {
      writeHeader(writer, WKB_GEOMETRYCOLLECTION, srid);
      const count = writeMemberCount(writer, geometry);
      for (let i = 0; i < count; i++) writeGeometry(writer, geometry.geometries[i]!, null);
      return;
    }
  }
}

/** Only the outermost geometry carries the SRID; every one carries the Z flag when 3D. */
function writeHeader(writer: Writer, type: number, srid: number | null): void {
  const flags = (writer.dimensions === 3 ? EWKB_Z : 0) | (srid === null ? 0 : EWKB_SRID);
  writer.buffer.writeUInt8(BYTE_ORDER_LITTLE_ENDIAN, writer.offset);
  writer.buffer.writeUInt32LE((type | flags) >>> 0, writer.offset + 1);
  writer.offset += BYTES_HEADER;
  if (srid !== null) {
    writer.buffer.writeInt32LE(srid, writer.offset);
    writer.offset += BYTES_SRID;
  }
}

function writeCount(writer: Writer, count: number): void {
  writer.buffer.writeUInt32LE(count, writer.offset);
  writer.offset += BYTES_COUNT;
}

type Collection = Extract<Geometry, { type: 'MultiPoint' | 'MultiLineString' | 'MultiPolygon' | 'GeometryCollection' }>;

/** Members written: none for a 2D collection that is empty (see the file's comment), else all. */
function memberCount(geometry: Collection, dimensions: number): number {
  if (dimensions === 2 && isEmpty(geometry)) return 0;
  return geometry.type === 'GeometryCollection' ? geometry.geometries.length : geometry.coordinates.length;
}

function writeMemberCount(writer: Writer, geometry: Collection): number {
  const count = memberCount(geometry, writer.dimensions);
  writeCount(writer, count);
  return count;
}

/** liblwgeom's lwgeom_is_empty: no points; a polygon whose first ring has none; a collection of empty members. */
function isEmpty(geometry: Geometry): boolean {
  switch (geometry.type) {
    case 'Point':
    case 'LineString':
    case 'MultiPoint':
      return geometry.coordinates.length === 0;
    case 'Polygon':
      return geometry.coordinates.length === 0 || geometry.coordinates[0]!.length === 0;
    case 'MultiLineString':
      return geometry.coordinates.every((line) => line.length === 0);
    case 'MultiPolygon':
      return geometry.coordinates.every((polygon) => polygon.length === 0 || polygon[0]!.length === 0);
    case 'GeometryCollection':
      return geometry.geometries.every(isEmpty);
  }
}

function writeRings(writer: Writer, rings: readonly (readonly Position[])[]): void {
  writeCount(writer, rings.length);
  for (const ring of rings) writePositions(writer, ring);
}

function writePositions(writer: Writer, positions: readonly Position[]): void {
  writeCount(writer, positions.length);
  for (let i = 0; i < positions.length; i++) writePosition(writer, positions[i]!);
}

function writePosition(writer: Writer, position: Position): void {
  const { buffer } = writer;
  let offset = writer.offset;
  // `+ 0` turns -0 into 0 and leaves every other number as it is.
  buffer.writeDoubleLE(position[0]! + 0, offset);
  buffer.writeDoubleLE(position[1]! + 0, offset + BYTES_DOUBLE);
  offset += 2 * BYTES_DOUBLE;
  if (writer.dimensions === 3) {
    buffer.writeDoubleLE((position[2] ?? 0) + 0, offset);
    offset += BYTES_DOUBLE;
  }
  writer.offset = offset;
}

function writeEmptyPoint(writer: Writer): void {
  for (let i = 0; i < writer.dimensions; i++) {
    writer.buffer.writeDoubleLE(Number.NaN, writer.offset);
    writer.offset += BYTES_DOUBLE;
  }
}

/** Whether any position has a third number: ST_GeomFromGeoJSON then makes the whole geometry 3D. */
function hasHeight(geometry: Geometry): boolean {
  switch (geometry.type) {
    case 'Point':
      return geometry.coordinates.length > 2;
    case 'LineString':
    case 'MultiPoint':
      return geometry.coordinates.some((position) => position.length > 2);
    case 'Polygon':
    case 'MultiLineString':
      return geometry.coordinates.some((ring) => ring.some((position) => position.length > 2));
    case 'MultiPolygon':
      return geometry.coordinates.some((polygon) => polygon.some((ring) => ring.some((position) => position.length > 2)));
    case 'GeometryCollection':
      return geometry.geometries.some(hasHeight);
  }
}
