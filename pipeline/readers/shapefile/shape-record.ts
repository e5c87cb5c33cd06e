import type { Geometry, Position } from 'geojson';
import { ImportError, type ImportLocation } from '../../../core/errors.js';
import { knownKind } from './main-file-header.js';
import { assemblePolygon } from './polygon-rings.js';
import { SHAPE_NULL, type ShapeKind } from './shape-types.js';

/**
 * The content of one .shp record (what follows its 8-byte record header) as GeoJSON. Layouts
 * from the ESRI Shapefile Technical Description (1998), all little-endian. Z and M values are
 * dropped: the pipeline keeps 2D geometry.
 */

const OFFSET_SHAPE_TYPE = 0;
const OFFSET_POINT = 4; // Point: X, Y
const OFFSET_MULTIPOINT_COUNT = 36; // after the shape type and the bounding box
const OFFSET_MULTIPOINT_POINTS = 40;
const OFFSET_PART_COUNT = 36;
const OFFSET_POINT_COUNT = 40;
const OFFSET_PARTS = 44;
const BYTES_POINT = 16;
const BYTES_PART = 4;
/** A Z type follows its points with a Z range and one Z per point; M values after that are optional. */
const BYTES_Z_RANGE = 16;
const BYTES_Z = 8;

/** Fewest points of a part: a line needs two, a closed ring four (three corners and the closing point). */
const MIN_LINE_POINTS = 2;
const MIN_RING_POINTS = 4;

type FeatureLocation = ImportLocation & { readonly feature: number };

/** `kind` is the file's shape type (null for a file of null shapes); every record must be of it, or null. */
export function parseShape(content: Buffer, kind: ShapeKind | null, location: FeatureLocation): Geometry | null {
  if (content.length < 4) throw new ImportError(location, `has a record of ${content.length} bytes, too short to hold a shape type`);
  const code = content.readInt32LE(OFFSET_SHAPE_TYPE);
  if (code === SHAPE_NULL) return null;
  const recordKind = knownKind(code, location);
  if (recordKind.code !== kind?.code) {
    throw new ImportError(location, `is a ${recordKind.name} in a file of ${kind?.name ?? 'null shapes'}: a shapefile holds one shape type`);
  }
  switch (kind.family) {
    case 'point':
      return { type: 'Point', coordinates: readPoint(content, kind, location) };
    case 'multipoint':
      return readMultiPoint(content, kind, location);
    case 'polyline':
    case 'polygon':
      return readParts(content, kind, location);
  }
}

function readPoint(content: Buffer, kind: ShapeKind, location: FeatureLocation): Position {
  requireBytes(content, OFFSET_POINT + BYTES_POINT + (kind.hasZ ? BYTES_Z : 0), 'a point', location);
  const xy = readCoordinates(content, OFFSET_POINT, 1, location);
  return [xy[0]!, xy[1]!];
}

function readMultiPoint(content: Buffer, kind: ShapeKind, location: FeatureLocation): Geometry | null {
  requireBytes(content, OFFSET_MULTIPOINT_POINTS, 'a MultiPoint header', location);
  const count = content.readInt32LE(OFFSET_MULTIPOINT_COUNT);
  if (count < 0) throw new ImportError(location, `states ${count} points`);
  requireBytes(content, OFFSET_MULTIPOINT_POINTS + pointBytes(count, kind), `its ${count} points`, location);
  if (count === 0) return null;
  const xy = readCoordinates(content, OFFSET_MULTIPOINT_POINTS, count, location);
  const points: Position[] = [];
  for (let i = 0; i < count; i++) points.push([xy[2 * i]!, xy[2 * i + 1]!]);
  return { type: 'MultiPoint', coordinates: points };
}

function readParts(content: Buffer, kind: ShapeKind, location: FeatureLocation): Geometry | null {
  requireBytes(content, OFFSET_PARTS, `a ${kind.name} header`, location);
  const partCount = content.readInt32LE(OFFSET_PART_COUNT);
  const pointCount = content.readInt32LE(OFFSET_POINT_COUNT);
  if (partCount < 0 || pointCount < 0 || (partCount === 0) !== (pointCount === 0)) {
    throw new ImportError(location, `states ${partCount} parts of ${pointCount} points`);
  }
  const pointsOffset = OFFSET_PARTS + partCount * BYTES_PART;
  requireBytes(content, pointsOffset + pointBytes(pointCount, kind), `its ${partCount} parts of ${pointCount} points`, location);
  if (partCount === 0) return null;

  const isPolygon = kind.family === 'polygon';
  const starts = readPartStarts(content, partCount, pointCount, isPolygon ? MIN_RING_POINTS : MIN_LINE_POINTS, location);
  const xy = readCoordinates(content, pointsOffset, pointCount, location);
  if (isPolygon) {
    checkRingsClosed(xy, starts, location);
    return assemblePolygon(xy, starts);
  }
  const lines = starts.map((start, p) => {
    const line: Position[] = [];
    for (let i = start, end = starts[p + 1] ?? pointCount; i < end; i++) line.push([xy[2 * i]!, xy[2 * i + 1]!]);
    return line;
  });
  return lines.length === 1 ? { type: 'LineString', coordinates: lines[0]! } : { type: 'MultiLineString', coordinates: lines };
}

/** Index of each part's first point; parts must start at 0, in order, each with at least `minPoints` points. */
function readPartStarts(content: Buffer, partCount: number, pointCount: number, minPoints: number, location: FeatureLocation): number[] {
  const starts: number[] = [];
  for (let p = 0; p < partCount; p++) starts.push(content.readInt32LE(OFFSET_PARTS + p * BYTES_PART));
  for (let p = 0; p < partCount; p++) {
    const start = starts[p]!;
    const end = starts[p + 1] ?? pointCount;
    if (p === 0 && start !== 0) throw new ImportError(location, `has its first part starting at point ${start}, not 0`);
    if (end - start < minPoints) {
      throw new ImportError(location, `has part ${p + 1} of ${Math.max(end - start, 0)} points; a ${minPoints === MIN_RING_POINTS ? 'ring' : 'line'} needs at least ${minPoints}`);
    }
  }
  return starts;
}

function checkRingsClosed(xy: Float64Array, starts: readonly number[], location: FeatureLocation): void {
  const pointCount = xy.length / 2;
  for (let r = 0; r < starts.length; r++) {
    const first = starts[r]!;
    const last = (starts[r + 1] ?? pointCount) - 1;
    const x0 = xy[2 * first]!;
    const y0 = xy[2 * first + 1]!;
    const x1 = xy[2 * last]!;
    const y1 = xy[2 * last + 1]!;
    if (x0 !== x1 || y0 !== y1) {
      throw new ImportError(location, `has ring ${r + 1} not closed: it starts at (${x0}, ${y0}) but ends at (${x1}, ${y1})`);
    }
  }
}

/** `count` X,Y pairs from `offset`, each checked to be finite. */
function readCoordinates(content: Buffer, offset: number, count: number, location: FeatureLocation): Float64Array {
  const xy = new Float64Array(2 * count);
  for (let i = 0; i < count; i++) {
    const x = content.readDoubleLE(offset + i * BYTES_POINT);
    const y = content.readDoubleLE(offset + i * BYTES_POINT + 8);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      throw new ImportError(location, `has a coordinate that is not a finite number at point ${i + 1}: (${x}, ${y})`);
    }
    xy[2 * i] = x;
    xy[2 * i + 1] = y;
  }
  return xy;
}

function pointBytes(count: number, kind: ShapeKind): number {
  return count * BYTES_POINT + (kind.hasZ ? BYTES_Z_RANGE + count * BYTES_Z : 0);
}

function requireBytes(content: Buffer, needed: number, what: string, location: FeatureLocation): void {
  if (content.length < needed) throw new ImportError(location, `has a record of ${content.length} bytes, too short for ${what} (${needed} bytes)`);
}
