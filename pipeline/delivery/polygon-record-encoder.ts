import type { MultiPolygon, Polygon, Position } from 'geojson';
import { SHAPE_NULL, SHAPE_POLYGON } from '../readers/shapefile/shape-types.js';

/**
 * The content of one .shp Polygon record (ESRI Shapefile Technical Description, 1998, p. 8):
 * shape type, bounding box, part count, point count, part starts, points; little-endian. Every
 * ring becomes a part, outer rings clockwise and holes counter-clockwise as the spec requires,
 * whatever their orientation in the GeoJSON (RFC 7946 has it the other way round).
 */

export interface EncodedShape {
  readonly content: Buffer;
  /** minX, minY, maxX, maxY; null for a null shape. */
  readonly bbox: readonly [number, number, number, number] | null;
}

const NULL_SHAPE: EncodedShape = { content: Buffer.from([SHAPE_NULL, 0, 0, 0]), bbox: null };
const OFFSET_BBOX = 4;
const OFFSET_PART_COUNT = 36;
const OFFSET_POINT_COUNT = 40;
const OFFSET_PARTS = 44;
const MIN_RING_POSITIONS = 4;

/** Throws (naming the feature, ring and position) on rings that are open, too short or not finite. */
export function encodePolygon(geometry: Polygon | MultiPolygon | null, feature: number): EncodedShape {
  const polygons = geometry === null ? [] : geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const rings = polygons.flatMap((polygon) => polygon.map((ring, r) => ({ ring, isOuter: r === 0 })));
  if (rings.length === 0) return NULL_SHAPE;
  rings.forEach(({ ring }, r) => checkRing(ring, `feature ${feature}, ring ${r + 1}`));

  const pointCount = rings.reduce((sum, { ring }) => sum + ring.length, 0);
  const pointsOffset = OFFSET_PARTS + 4 * rings.length;
  const content = Buffer.alloc(pointsOffset + 16 * pointCount);
  content.writeInt32LE(SHAPE_POLYGON, 0);
  content.writeInt32LE(rings.length, OFFSET_PART_COUNT);
  content.writeInt32LE(pointCount, OFFSET_POINT_COUNT);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let point = 0;
  rings.forEach(({ ring, isOuter }, r) => {
    content.writeInt32LE(point, OFFSET_PARTS + 4 * r);
    // Clockwise has negative signed area (x east, y north).
    const reverse = isOuter ? signedArea2(ring) > 0 : signedArea2(ring) < 0;
    for (let i = 0; i < ring.length; i++) {
      const position = ring[reverse ? ring.length - 1 - i : i]!;
      const x = position[0]!;
      const y = position[1]!;
      content.writeDoubleLE(x, pointsOffset + 16 * point);
      content.writeDoubleLE(y, pointsOffset + 16 * point + 8);
      point++;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  });
  content.writeDoubleLE(minX, OFFSET_BBOX);
  content.writeDoubleLE(minY, OFFSET_BBOX + 8);
  content.writeDoubleLE(maxX, OFFSET_BBOX + 16);
  content.writeDoubleLE(maxY, OFFSET_BBOX + 24);
  return { content, bbox: [minX, minY, maxX, maxY] };
}

function checkRing(ring: readonly Position[], where: string): void {
  if (ring.length < MIN_RING_POSITIONS) throw new Error(`${where}: ${ring.length} positions; a ring needs at least ${MIN_RING_POSITIONS}`);
  ring.forEach((position, i) => {
    if (!Number.isFinite(position[0]) || !Number.isFinite(position[1])) throw new Error(`${where}, position ${i + 1}: ${JSON.stringify(position)} is not two finite numbers`);
  });
  const first = ring[0]!;
  const last = ring[ring.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) throw new Error(`${where}: not closed, it ends at ${JSON.stringify(last)}, not at ${JSON.stringify(first)}`);
}

/** Twice the signed area, relative to the first vertex (Gauss-Kruger coordinates would lose it to cancellation); positive counter-clockwise. */
function signedArea2(ring: readonly Position[]): number {
  const x0 = ring[0]![0]!;
  const y0 = ring[0]![1]!;
  let sum = 0;
  for (let i = 1; i + 1 < ring.length; i++) {
    const a = ring[i]!;
    const b = ring[i + 1]!;
    sum += (a[0]! - x0) * (b[1]! - y0) - (b[0]! - x0) * (a[1]! - y0);
  }
  return sum;
}
