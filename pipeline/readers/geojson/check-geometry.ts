import type { Geometry, Position } from 'geojson';
import { describe, isPlainObject } from './describe-value.js';

/**
 * Checks a parsed GeoJSON geometry against RFC 7946 §3.1 and returns a clean copy of its
 * envelope ({type, coordinates} or {type, geometries}: foreign members such as a per-geometry
 * `crs` or `bbox` are dropped, so that nothing downstream reads them). The coordinate arrays
 * themselves are returned as parsed, never copied or rounded.
 *
 * Throws GeometryProblem naming the place inside the geometry, e.g. `coordinates[1]`.
 * Empty coordinate arrays are allowed for every type (§3.1: "empty geometries").
 */
export class GeometryProblem extends Error {
  override readonly name = 'GeometryProblem';
}

/** §3.1.4: a LineString has two or more positions. */
const MIN_LINE_POSITIONS = 2;
/** §3.1.6: a linear ring is closed and has four or more positions. */
const MIN_RING_POSITIONS = 4;
/** x and y; a third (height) and more are allowed and passed through. */
const MIN_POSITION_LENGTH = 2;

const COORDINATE_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']);
const GEOMETRY_TYPES = [...COORDINATE_TYPES, 'GeometryCollection'].join(', ');

export function checkGeometry(value: unknown, where = ''): Geometry {
  if (!isPlainObject(value)) throw new GeometryProblem(`${where || 'the geometry'} is ${describe(value)}, not a geometry object`);
  const type = value.type;
  const at = (member: string) => (where ? `${where}.${member}` : member);
  if (type === 'GeometryCollection') {
    const geometries = value.geometries;
    if (!Array.isArray(geometries)) throw new GeometryProblem(`${at('geometries')} is ${describe(geometries)}, not an array of geometries`);
    return { type, geometries: geometries.map((geometry, i) => checkGeometry(geometry, `${at('geometries')}[${i}]`)) };
  }
  if (type === undefined) throw new GeometryProblem(`${where || 'the geometry'} has no "type" member`);
  if (typeof type !== 'string' || !COORDINATE_TYPES.has(type)) {
    throw new GeometryProblem(`${where || 'the geometry'} has type ${JSON.stringify(type)}, which is not a GeoJSON geometry type (${GEOMETRY_TYPES})`);
  }
  const coordinates = value.coordinates;
  const path = at('coordinates');
  if (!Array.isArray(coordinates)) throw new GeometryProblem(`${path} is ${describe(coordinates)}, not an array`);
  if (coordinates.length === 0) return { type, coordinates } as Geometry;
  switch (type) {
    case 'Point':
      return { type, coordinates: checkPosition(coordinates, path) };
    case 'MultiPoint':
      return { type, coordinates: checkPositions(coordinates, path, 0) };
    case 'LineString':
      return { type, coordinates: checkPositions(coordinates, path, MIN_LINE_POSITIONS) };
    case 'MultiLineString':
      return { type, coordinates: checkParts(coordinates, path, (line, linePath) => checkPositions(line, linePath, MIN_LINE_POSITIONS)) };
    case 'Polygon':
      return { type, coordinates: checkPolygon(coordinates, path) };
    case 'MultiPolygon':
      return { type, coordinates: checkParts(coordinates, path, checkPolygon) };
    default:
      throw new Error(`unreachable: geometry type ${type}`);
  }
}

function checkPolygon(value: unknown, path: string): Position[][] {
  return checkParts(value, path, checkRing);
}

function checkRing(value: unknown, path: string): Position[] {
  const ring = checkPositions(value, path, MIN_RING_POSITIONS, 'a polygon ring');
  const first = ring[0]!;
  const last = ring[ring.length - 1]!;
  if (!isSamePosition(first, last)) {
    throw new GeometryProblem(`${path} (a polygon ring) is not closed: its first position ${formatPosition(first)} differs from its last ${formatPosition(last)}`);
  }
  return ring;
}

function checkParts<T>(value: unknown, path: string, checkPart: (part: unknown, partPath: string) => T): T[] {
  if (!Array.isArray(value)) throw new GeometryProblem(`${path} is ${describe(value)}, not an array${shallowHint(value)}`);
  for (let i = 0; i < value.length; i++) checkPart(value[i], `${path}[${i}]`);
  return value as T[];
}

function checkPositions(value: unknown, path: string, minPositions: number, what = 'a line'): Position[] {
  if (!Array.isArray(value)) throw new GeometryProblem(`${path} is ${describe(value)}, not an array of positions${shallowHint(value)}`);
  // Positions first: at the wrong nesting depth, a count of positions would mislead.
  for (let i = 0; i < value.length; i++) checkPosition(value[i], `${path}[${i}]`);
  if (value.length < minPositions) {
    throw new GeometryProblem(`${path} (${what}) has ${value.length} position${value.length === 1 ? '' : 's'}; it needs at least ${minPositions}`);
  }
  return value as Position[];
}

function checkPosition(value: unknown, path: string): Position {
  if (!Array.isArray(value)) throw new GeometryProblem(`${path} is ${describe(value)}, not a position [x, y]${shallowHint(value)}`);
  if (value.length < MIN_POSITION_LENGTH) {
    throw new GeometryProblem(`${path} has ${value.length} number${value.length === 1 ? '' : 's'}; a position needs x and y`);
  }
  for (let i = 0; i < value.length; i++) {
    const number = value[i] as unknown;
    if (typeof number !== 'number') {
      const hint = Array.isArray(number) ? ' (are the coordinates nested one level too deep?)' : '';
      throw new GeometryProblem(`${path}[${i}] is ${describe(number)}, not a number${hint}`);
    }
    // JSON has no NaN, but 1e999 parses as Infinity.
    if (!Number.isFinite(number)) throw new GeometryProblem(`${path}[${i}] is not a finite number (it overflows to ${number})`);
  }
  return value as Position;
}

function isSamePosition(a: Position, b: Position): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function formatPosition(position: Position): string {
  return `[${position.join(', ')}]`;
}

function shallowHint(value: unknown): string {
  return typeof value === 'number' ? ' (are the coordinates nested one level too shallow?)' : '';
}

