import type { Position } from 'geojson';

/**
 * RFC 7946 §3.1.6 winding: a polygon's exterior ring counter-clockwise, its holes clockwise.
 * WKB says which ring is the exterior by its place (the first), not by its winding, so writers
 * wind rings either way; each ring is reversed in place where needed. A ring of zero area is left
 * as it is.
 */
export function orientRing(ring: Position[], isExterior: boolean): void {
  const area2 = signedArea2(ring);
  if (area2 !== 0 && area2 > 0 !== isExterior) ring.reverse();
}

/** Twice the signed area, positive counter-clockwise, of a closed ring. */
function signedArea2(ring: readonly Position[]): number {
  // Shoelace relative to the first vertex: with Gauss-Kruger coordinates such as 39468123.456
  // the absolute products would lose the area to cancellation.
  const first = ring[0]!;
  const x0 = first[0]!;
  const y0 = first[1]!;
  let area2 = 0;
  for (let i = 1; i < ring.length - 1; i++) {
    const a = ring[i]!;
    const b = ring[i + 1]!;
    area2 += (a[0]! - x0) * (b[1]! - y0) - (b[0]! - x0) * (a[1]! - y0);
  }
  return area2;
}
