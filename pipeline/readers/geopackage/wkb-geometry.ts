import type { Geometry, LineString, Point, Polygon, Position } from 'geojson';
import { orientRing } from './ring-orientation.js';
import type { WkbCursor } from './wkb-cursor.js';
import { WKB_POINT, WKB_LINESTRING, WKB_POLYGON, WKB_MULTIPOINT, WKB_MULTILINESTRING, WKB_MULTIPOLYGON, WKB_GEOMETRYCOLLECTION, EWKB_Z, EWKB_M, EWKB_SRID } from '../../wkb/wkb-codes.js';

/**
 * WKB (ISO 13249-3 and OGC 06-103r4 §8; GeoPackage 1.2/1.3 §2.1.3.1.1) as GeoJSON, in the
 * file's own coordinates, read bit for bit. Z and M are dropped: the pipeline keeps 2D geometry.
 * Dimensions are read both ways writers state them: ISO type codes (1003 PolygonZ, 2003
 * PolygonM, 3003 PolygonZM) and the EWKB flags (0x80000000 Z, 0x40000000 M, 0x20000000 SRID)
 * that some writers use in GeoPackages anyway.
 *
 * Empty geometries (POINT EMPTY as NaN NaN, per §2.1.3.1.1; no rings, no points, no members)
 * read as null, and empty members of a collection are left out. Curves, surfaces and TINs are
 * refused by name: they have no GeoJSON form.
 */

const ISO_DIMENSION_STEP = 1000;
const ISO_Z = 1;
const ISO_M = 2;
const ISO_ZM = 3;
const EWKB_FLAGS = EWKB_Z | EWKB_M | EWKB_SRID;

/** A WKB byte order marker, then a 4-byte type: the least a geometry takes before its body. */
const BYTES_GEOMETRY_HEADER = 5;
/** §3.1.4 and §3.1.6 of RFC 7946, and ISO 19125-1: a line has 2 points, a closed ring 4. */
const MIN_LINE_POINTS = 2;
const MIN_RING_POINTS = 4;
/** Collections inside collections are legal WKB; real files nest one level at most. */
const MAX_COLLECTION_DEPTH = 8;

const TYPE_NAMES: readonly string[] = [
  'Geometry', 'Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'GeometryCollection',
  'CircularString', 'CompoundCurve', 'CurvePolygon', 'MultiCurve', 'MultiSurface', 'Curve', 'Surface', 'PolyhedralSurface', 'TIN', 'Triangle',
];

/** How messages name the blob's geometry as a whole; its parts are `polygon 2`, `ring 1 of polygon 2`. */
const WHOLE = 'the geometry';

interface WkbHeader {
  readonly type: number;
  /** Doubles per point: 2, 3 (Z or M) or 4. */
  readonly dimensions: number;
}

/** One WKB geometry from the cursor's position; `what` names it in messages (`the geometry`, `polygon 2`). */
export function readWkbGeometry(cursor: WkbCursor, what = WHOLE): Geometry | null {
  return readBody(cursor, readHeader(cursor, what), what, 0);
}

function readBody(cursor: WkbCursor, header: WkbHeader, what: string, depth: number): Geometry | null {
  switch (header.type) {
    case WKB_POINT:
      return readPoint(cursor, header, what);
    case WKB_LINESTRING:
      return readLineString(cursor, header, what);
    case WKB_POLYGON:
      return readPolygon(cursor, header, what);
    case WKB_MULTIPOINT: {
      const points = readMembers(cursor, WKB_POINT, 'point', what, (member, name) => readPoint(cursor, member, name));
      return points.length === 0 ? null : { type: 'MultiPoint', coordinates: points.map((point) => point.coordinates) };
    }
    case WKB_MULTILINESTRING: {
      const lines = readMembers(cursor, WKB_LINESTRING, 'line', what, (member, name) => readLineString(cursor, member, name));
      return lines.length === 0 ? null : { type: 'MultiLineString', coordinates: lines.map((line) => line.coordinates) };
    }
    case WKB_MULTIPOLYGON: {
      const polygons = readMembers(cursor, WKB_POLYGON, 'polygon', what, (member, name) => readPolygon(cursor, member, name));
      return polygons.length === 0 ? null : { type: 'MultiPolygon', coordinates: polygons.map((polygon) => polygon.coordinates) };
    }
    case WKB_GEOMETRYCOLLECTION: {
      if (depth >= MAX_COLLECTION_DEPTH) cursor.fail(`has GeometryCollections nested more than ${MAX_COLLECTION_DEPTH} deep`);
      const geometries = readMembers(cursor, null, 'geometry', what, (member, name) => readBody(cursor, member, name, depth + 1));
      return geometries.length === 0 ? null : { type: 'GeometryCollection', geometries };
    }
    default:
      return cursor.fail(`has ${what} of WKB type ${header.type} (${typeName(header.type)}); only points, lines, polygons, their multi forms and collections can be read`);
  }
}

function readHeader(cursor: WkbCursor, what: string): WkbHeader {
  cursor.require(BYTES_GEOMETRY_HEADER, `the WKB header of ${what}`);
  const order = cursor.uint8(`the WKB header of ${what}`);
  if (order > 1) cursor.fail(`has ${what} starting with byte 0x${order.toString(16).padStart(2, '0')} at byte ${cursor.offset - 1}, not a WKB byte order (0 or 1)`);
  cursor.isLittleEndian = order === 1;
  const code = cursor.uint32(`the WKB header of ${what}`);
  if ((code & EWKB_SRID) !== 0) cursor.uint32(`the EWKB SRID of ${what}`);
  const iso = code & ~EWKB_FLAGS;
  const isoDimensions = Math.floor(iso / ISO_DIMENSION_STEP);
  if (isoDimensions > ISO_ZM) cursor.fail(`has ${what} of WKB type ${code}, which is not a geometry type`);
  const hasZ = (code & EWKB_Z) !== 0 || isoDimensions === ISO_Z || isoDimensions === ISO_ZM;
  const hasM = (code & EWKB_M) !== 0 || isoDimensions === ISO_M || isoDimensions === ISO_ZM;
  return { type: iso % ISO_DIMENSION_STEP, dimensions: 2 + (hasZ ? 1 : 0) + (hasM ? 1 : 0) };
}

function readPoint(cursor: WkbCursor, { dimensions }: WkbHeader, what: string): Point | null {
  cursor.require(dimensions * 8, `the coordinates of ${what}`);
  const x = cursor.double(what);
  const y = cursor.double(what);
  cursor.offset += (dimensions - 2) * 8;
  if (Number.isNaN(x) && Number.isNaN(y)) return null;
  if (!Number.isFinite(x) || !Number.isFinite(y)) cursor.failCoordinate(x, y, what === WHOLE ? 'the point' : what);
  return { type: 'Point', coordinates: [x, y] };
}

function readLineString(cursor: WkbCursor, { dimensions }: WkbHeader, what: string): LineString | null {
  const count = cursor.uint32(`the point count of ${what}`);
  if (count === 0) return null;
  if (count < MIN_LINE_POINTS) cursor.fail(`has ${what} of ${count} point; a line needs at least ${MIN_LINE_POINTS}`);
  return { type: 'LineString', coordinates: cursor.positions(count, dimensions, what) };
}

function readPolygon(cursor: WkbCursor, { dimensions }: WkbHeader, what: string): Polygon | null {
  const ringCount = cursor.uint32(`the ring count of ${what}`);
  if (ringCount === 0) return null;
  const rings: Position[][] = [];
  for (let r = 0; r < ringCount; r++) {
    const ringName = partName(`ring ${r + 1}`, what);
    const count = cursor.uint32(`the point count of ${ringName}`);
    if (count < MIN_RING_POINTS) cursor.fail(`has ${ringName} of ${count} points; a ring needs at least ${MIN_RING_POINTS}`);
    const ring = cursor.positions(count, dimensions, ringName);
    const [x0, y0] = ring[0]!;
    const [x1, y1] = ring[count - 1]!;
    if (x0 !== x1 || y0 !== y1) cursor.fail(`has ${ringName} not closed: it starts at (${x0}, ${y0}) but ends at (${x1}, ${y1})`);
    orientRing(ring, r === 0);
    rings.push(ring);
  }
  return { type: 'Polygon', coordinates: rings };
}

/**
 * The members of a multi geometry or collection, each a whole WKB geometry with its own byte
 * order; `memberType` null accepts any type (a GeometryCollection). Empty members are left out.
 */
function readMembers<T extends Geometry>(
  cursor: WkbCursor,
  memberType: number | null,
  noun: string,
  what: string,
  readMember: (header: WkbHeader, member: string) => T | null,
): T[] {
  const count = cursor.uint32(`the member count of ${what}`);
  const members: T[] = [];
  for (let i = 0; i < count; i++) {
    const member = partName(`${noun} ${i + 1}`, what);
    const header = readHeader(cursor, member);
    if (memberType !== null && header.type !== memberType) {
      cursor.fail(`has ${member} of WKB type ${header.type} (${typeName(header.type)}), where only ${typeName(memberType)} belongs`);
    }
    const geometry = readMember(header, member);
    if (geometry !== null) members.push(geometry);
  }
  return members;
}

function typeName(type: number): string {
  return TYPE_NAMES[type] ?? 'unknown';
}

function partName(part: string, whole: string): string {
  return whole === WHOLE ? part : `${part} of ${whole}`;
}
