import type { MultiPolygon, Polygon, Position } from 'geojson';

/**
 * Turns the rings of one Polygon record into GeoJSON. The shapefile spec (1998, "Polygon")
 * marks outer rings by orientation, clockwise, and holes counter-clockwise; the order of rings
 * carries no meaning. So each hole goes to the smallest outer ring that contains it. A
 * counter-clockwise ring inside no outer ring is taken as an outer ring of its own, as GDAL and
 * shapefile-js do: some writers get orientation wrong, and the ring is data either way.
 *
 * Output follows RFC 7946 §3.1.6 (outer rings counter-clockwise, holes clockwise), so that GeoJSON
 * written by `pipeline/delivery/shapefile-writer.ts` reads back coordinate for coordinate.
 */

/** Rings as flat x,y pairs: ring r holds points ringStarts[r] up to ringStarts[r + 1] (the last ring: up to the end). */
export function assemblePolygon(xy: Float64Array, ringStarts: readonly number[]): Polygon | MultiPolygon {
  const pointCount = xy.length / 2;
  const rings = ringStarts.map((start, r) => describeRing(xy, start, ringStarts[r + 1] ?? pointCount));
  const owners = rings.map((ring) => (ring.isOuter ? -1 : findOwner(xy, ring, rings)));

  const polygons: Position[][][] = [];
  const polygonOfRing = new Map<number, number>();
  rings.forEach((ring, r) => {
    if (owners[r] !== -1) return;
    polygonOfRing.set(r, polygons.length);
    polygons.push([toPositions(xy, ring, true)]);
  });
  rings.forEach((ring, r) => {
    const owner = owners[r]!;
    if (owner !== -1) polygons[polygonOfRing.get(owner)!]!.push(toPositions(xy, ring, false));
  });
  return polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0]! } : { type: 'MultiPolygon', coordinates: polygons };
}

interface Ring {
  readonly start: number;
  readonly end: number;
  /** Twice the signed area: negative clockwise (an outer ring), positive counter-clockwise (a hole). */
  readonly area2: number;
  readonly isOuter: boolean;
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
}

function describeRing(xy: Float64Array, start: number, end: number): Ring {
  // Shoelace relative to the first vertex: with Gauss-Kruger coordinates such as 39468123.456
  // the absolute products would lose the area to cancellation.
  const x0 = xy[2 * start]!;
  const y0 = xy[2 * start + 1]!;
  let area2 = 0;
  let minX = x0;
  let minY = y0;
  let maxX = x0;
  let maxY = y0;
  for (let i = start + 1; i < end; i++) {
    const x = xy[2 * i]!;
    const y = xy[2 * i + 1]!;
    if (i + 1 < end) area2 += (x - x0) * (xy[2 * i + 3]! - y0) - (xy[2 * i + 2]! - x0) * (y - y0);
    if (x < minX) minX = x;
    else if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    else if (y > maxY) maxY = y;
  }
  // A degenerate (zero-area) ring counts as outer: it is kept, not silently folded into another.
  return { start, end, area2, isOuter: area2 <= 0, minX, minY, maxX, maxY };
}

/** The smallest outer ring containing `hole`, or -1 when none does (the hole is then an outer ring itself). */
function findOwner(xy: Float64Array, hole: Ring, rings: readonly Ring[]): number {
  let owner = -1;
  for (let r = 0; r < rings.length; r++) {
    const outer = rings[r]!;
    if (!outer.isOuter) continue;
    // Trivial reject on bounding boxes before the point-in-ring test.
    if (hole.minX < outer.minX || hole.maxX > outer.maxX || hole.minY < outer.minY || hole.maxY > outer.maxY) continue;
    if (owner !== -1 && -outer.area2 >= -rings[owner]!.area2) continue;
    if (ringInsideRing(xy, hole, outer)) owner = r;
  }
  return owner;
}

/** Whether `inner` lies inside `outer`, judged by its first vertex not on outer's boundary (holes may touch their ring). */
function ringInsideRing(xy: Float64Array, inner: Ring, outer: Ring): boolean {
  for (let i = inner.start; i < inner.end - 1; i++) {
    const side = pointInRing(xy, outer, xy[2 * i]!, xy[2 * i + 1]!);
    if (side !== 0) return side > 0;
  }
  return true;
}

/** 1 inside, -1 outside, 0 on the boundary (even-odd rule over the edges of a closed ring). */
function pointInRing(xy: Float64Array, ring: Ring, px: number, py: number): number {
  let isInside = false;
  for (let i = ring.start; i < ring.end - 1; i++) {
    const ax = xy[2 * i]!;
    const ay = xy[2 * i + 1]!;
    const bx = xy[2 * i + 2]!;
    const by = xy[2 * i + 3]!;
    const cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
    if (cross === 0 && px >= Math.min(ax, bx) && px <= Math.max(ax, bx) && py >= Math.min(ay, by) && py <= Math.max(ay, by)) return 0;
    if (ay > py !== by > py && px < ((bx - ax) * (py - ay)) / (by - ay) + ax) isInside = !isInside;
  }
  return isInside ? 1 : -1;
}

/** The ring's positions, reversed where needed so that shells run counter-clockwise and holes clockwise. */
function toPositions(xy: Float64Array, ring: Ring, isShell: boolean): Position[] {
  const isCounterClockwise = ring.area2 > 0;
  const positions: Position[] = new Array<Position>(ring.end - ring.start);
  const reverse = isShell !== isCounterClockwise;
  for (let i = ring.start; i < ring.end; i++) {
    const k = reverse ? ring.end - 1 - i + ring.start : i;
    positions[i - ring.start] = [xy[2 * k]!, xy[2 * k + 1]!];
  }
  return positions;
}
