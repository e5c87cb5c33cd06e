/**
 * Tile matrix sets (OGC 17-083r4 "Two Dimensional Tile Matrix Set"): how z/x/y map to areas in
 * a CRS. Tiles count from the top-left corner, x to the east and y to the south, as in XYZ and
 * WMTS. Coordinates are always (easting, northing) = (lon, lat) here; the latitude-first axis
 * order of EPSG:4490 matters only when writing WMTS capabilities.
 */

export interface TileCoord {
  readonly z: number;
  readonly x: number;
  readonly y: number;
}

/** [minX, minY, maxX, maxY] in the tile matrix set's CRS units. */
export type Bounds = readonly [number, number, number, number];

/** The OGC "standardized rendering pixel size" of 0.28 mm, used for scale denominators. */
export const STANDARD_PIXEL_SIZE_METRES = 0.00028;

/** Tiles are 256 pixels in every tile matrix set we serve. */
export const TILE_SIZE_PIXELS = 256;

/** Deepest level served; at z24 a Web Mercator tile is 2.4 m wide. */
export const MAX_ZOOM = 24;

export interface TileMatrixSet {
  /** Identifier used in URLs and WMTS (`WebMercatorQuad`, `CGCS2000Quad`). */
  readonly id: string;
  readonly title: string;
  /** EPSG code of the CRS the tiles are cut in. */
  readonly srid: number;
  /** OGC CRS URI (`http://www.opengis.net/def/crs/EPSG/0/3857`). */
  readonly crsUri: string;
  /** Top-left corner of level 0, in CRS units (easting, northing). */
  readonly origin: readonly [number, number];
  /** Width and height of one level-0 tile in CRS units. */
  readonly tileSpan0: number;
  /** Level 0 is `matrixWidth0` x `matrixHeight0` tiles. */
  readonly matrixWidth0: number;
  readonly matrixHeight0: number;
  /** Metres per CRS unit at the equator (1 for metres, 2πa/360 for degrees). */
  readonly metresPerUnit: number;
  readonly maxZoom: number;
}

function defineTileMatrixSet(set: TileMatrixSet): TileMatrixSet {
  return Object.freeze(set);
}

/** Semi-major axis shared by WGS 84, GRS 1980 and CGCS2000 (the Web Mercator sphere radius). */
const SEMI_MAJOR_AXIS_METRES = 6378137;
const WEB_MERCATOR_HALF_SPAN = Math.PI * SEMI_MAJOR_AXIS_METRES;

export const WebMercatorQuad = defineTileMatrixSet({
  id: 'WebMercatorQuad',
  title: 'Google Maps Compatible for the World (EPSG:3857)',
  srid: 3857,
  crsUri: 'http://www.opengis.net/def/crs/EPSG/0/3857',
  origin: [-WEB_MERCATOR_HALF_SPAN, WEB_MERCATOR_HALF_SPAN],
  tileSpan0: 2 * WEB_MERCATOR_HALF_SPAN,
  matrixWidth0: 1,
  matrixHeight0: 1,
  metresPerUnit: 1,
  maxZoom: MAX_ZOOM,
});

/**
 * Like OGC WorldCRS84Quad, in CGCS2000 geographic coordinates: level 0 is two tiles of
 * 180 x 180 degrees.
 */
export const CGCS2000Quad = defineTileMatrixSet({
  id: 'CGCS2000Quad',
  title: 'CGCS2000 geographic quad (EPSG:4490), level 0 = 2 x 1 tiles of 180 degrees',
  srid: 4490,
  crsUri: 'http://www.opengis.net/def/crs/EPSG/0/4490',
  origin: [-180, 90],
  tileSpan0: 180,
  matrixWidth0: 2,
  matrixHeight0: 1,
  metresPerUnit: (2 * Math.PI * SEMI_MAJOR_AXIS_METRES) / 360,
  maxZoom: MAX_ZOOM,
});

/** Every tile matrix set the server offers, by id. The first is the XYZ default. */
export const tileMatrixSets: ReadonlyMap<string, TileMatrixSet> = new Map(
  [WebMercatorQuad, CGCS2000Quad].map((set) => [set.id, set]),
);

export function matrixWidth(set: TileMatrixSet, z: number): number {
  return set.matrixWidth0 * 2 ** z;
}

export function matrixHeight(set: TileMatrixSet, z: number): number {
  return set.matrixHeight0 * 2 ** z;
}

/** Width (= height) of one tile at level z, in CRS units. */
export function tileSpan(set: TileMatrixSet, z: number): number {
  return set.tileSpan0 / 2 ** z;
}

/** Size of one pixel of a 256-pixel tile at level z, in CRS units (WMTS "cell size"). */
export function cellSize(set: TileMatrixSet, z: number): number {
  return tileSpan(set, z) / TILE_SIZE_PIXELS;
}

/** OGC scale denominator of level z, for 0.28 mm pixels. */
export function scaleDenominator(set: TileMatrixSet, z: number): number {
  return (cellSize(set, z) * set.metresPerUnit) / STANDARD_PIXEL_SIZE_METRES;
}

/** True when z/x/y are integers naming a tile of this set. */
export function isTileInSet(set: TileMatrixSet, { z, x, y }: TileCoord): boolean {
  return (
    Number.isInteger(z) && Number.isInteger(x) && Number.isInteger(y) &&
    z >= 0 && z <= set.maxZoom &&
    x >= 0 && x < matrixWidth(set, z) &&
    y >= 0 && y < matrixHeight(set, z)
  );
}

/** The area a tile covers, in CRS units. */
export function tileBounds(set: TileMatrixSet, { z, x, y }: TileCoord): Bounds {
  const span = tileSpan(set, z);
  const [originX, originY] = set.origin;
  // Multiply from the origin rather than accumulate, so that neighbouring tiles share
  // bit-identical edges.
  return [originX + x * span, originY - (y + 1) * span, originX + (x + 1) * span, originY - y * span];
}

/**
 * The tile whose bounds these are, or null when they are not exactly one tile's bounds
 * (within a millionth of a tile). Inverse of `tileBounds`.
 */
export function tileFromBounds(set: TileMatrixSet, [minX, minY, maxX, maxY]: Bounds): TileCoord | null {
  const width = maxX - minX;
  if (!(width > 0) || Math.abs(maxY - minY - width) > width * 1e-6) return null;
  const z = Math.round(Math.log2(set.tileSpan0 / width));
  if (z < 0 || z > set.maxZoom) return null;
  const span = tileSpan(set, z);
  const x = Math.round((minX - set.origin[0]) / span);
  const y = Math.round((set.origin[1] - maxY) / span);
  const tile = { z, x, y };
  if (!isTileInSet(set, tile)) return null;
  const expected = tileBounds(set, tile);
  const tolerance = span * 1e-6;
  return expected.every((value, i) => Math.abs(value - [minX, minY, maxX, maxY][i]!) <= tolerance) ? tile : null;
}

/**
 * The tile at level z containing a point given in CRS units. A tile owns its west and north
 * edges (as `tileBounds` computes them), not its east and south ones.
 */
export function tileAtPoint(set: TileMatrixSet, z: number, pointX: number, pointY: number): TileCoord {
  const span = tileSpan(set, z);
  const [originX, originY] = set.origin;
  let x = Math.floor((pointX - originX) / span);
  let y = Math.floor((originY - pointY) / span);
  // The division can land a hair off a tile edge; settle it against the edges exactly as
  // tileBounds computes them, so a point on an edge belongs to the tile that owns it.
  if (originX + (x + 1) * span <= pointX) x += 1;
  else if (originX + x * span > pointX) x -= 1;
  if (originY - (y + 1) * span >= pointY) y += 1;
  else if (originY - y * span < pointY) y -= 1;
  return {
    z,
    x: Math.min(Math.max(x, 0), matrixWidth(set, z) - 1),
    y: Math.min(Math.max(y, 0), matrixHeight(set, z) - 1),
  };
}
