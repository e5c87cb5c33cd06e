/**
 * Shape types of the ESRI Shapefile Technical Description (July 1998), table 1. The writer
 * (`pipeline/delivery/shapefile-writer.ts`) uses the same codes.
 */
export const SHAPE_NULL = 0;
export const SHAPE_POINT = 1;
export const SHAPE_POLYLINE = 3;
export const SHAPE_POLYGON = 5;
export const SHAPE_MULTIPOINT = 8;
export const SHAPE_MULTIPATCH = 31;

/** The geometry a shape type holds; Z and M variants hold the same, with measures this reader drops. */
export type ShapeFamily = 'point' | 'multipoint' | 'polyline' | 'polygon';

export interface ShapeKind {
  readonly code: number;
  readonly name: string;
  readonly family: ShapeFamily;
  /** Z types store a Z range and array after the points (and then optionally M, like M types). */
  readonly hasZ: boolean;
}

const FAMILIES: ReadonlyArray<readonly [number, string, ShapeFamily]> = [
  [SHAPE_POINT, 'Point', 'point'],
  [SHAPE_POLYLINE, 'PolyLine', 'polyline'],
  [SHAPE_POLYGON, 'Polygon', 'polygon'],
  [SHAPE_MULTIPOINT, 'MultiPoint', 'multipoint'],
];

/** Z types are the base code + 10, M types + 20. */
const KINDS = new Map<number, ShapeKind>(
  FAMILIES.flatMap(([code, name, family]) => [
    [code, { code, name, family, hasZ: false }],
    [code + 10, { code: code + 10, name: `${name}Z`, family, hasZ: true }],
    [code + 20, { code: code + 20, name: `${name}M`, family, hasZ: false }],
  ]),
);

/** The kind of a (non-null) shape type code, or undefined when this reader cannot read it. */
export function shapeKind(code: number): ShapeKind | undefined {
  return KINDS.get(code);
}
