import {
  CGCS2000Quad,
  cellSize,
  matrixHeight,
  matrixWidth,
  tileAtPoint,
  WebMercatorQuad,
  type Bounds,
  type TileMatrixSet,
} from '../../core/grid/tile-matrix-set.js';

/**
 * The tiles of one level a layer offers (OGC 07-057r7 §7.2.4.6.3 TileMatrixLimits): rows and
 * columns inclusive. GetCapabilities advertises them and GetTile refuses anything outside them
 * with TileOutOfRange, both from this one computation.
 */
export interface TileMatrixLimits {
  readonly z: number;
  readonly minRow: number;
  readonly maxRow: number;
  readonly minCol: number;
  readonly maxCol: number;
}

/** What of a layer the limits depend on (a StyleInfo fits). */
export interface LayerExtent {
  /** [west, south, east, north] in degrees; null when the layer has no data (the whole grid). */
  readonly bounds: Bounds | null;
  readonly minzoom: number;
  readonly maxzoom: number;
}

/**
 * Margin around the data, in pixels of the level, so that a stroke or symbol drawn across the
 * edge of the data's last tile is not cut off by refusing its neighbour.
 */
const EDGE_MARGIN_PIXELS = 8;

/** Latitude limit of Web Mercator: the square world of WebMercatorQuad. */
const MAX_MERCATOR_LATITUDE = 85.0511287798066;
const SEMI_MAJOR_AXIS_METRES = 6378137;

/** Limits of every level from the layer's minzoom to its maxzoom (capped to the grid's levels). */
export function layerTileMatrixLimits(grid: TileMatrixSet, layer: LayerExtent): TileMatrixLimits[] {
  const limits: TileMatrixLimits[] = [];
  for (let z = Math.max(0, layer.minzoom); z <= Math.min(layer.maxzoom, grid.maxZoom); z++) {
    limits.push(levelLimits(grid, layer.bounds, z));
  }
  return limits;
}

/** The limits of level z, or null when the layer offers no tile there. */
export function levelTileMatrixLimits(grid: TileMatrixSet, layer: LayerExtent, z: number): TileMatrixLimits | null {
  if (z < layer.minzoom || z > layer.maxzoom || z < 0 || z > grid.maxZoom) return null;
  return levelLimits(grid, layer.bounds, z);
}

function levelLimits(grid: TileMatrixSet, bounds: Bounds | null, z: number): TileMatrixLimits {
  if (!bounds) return { z, minRow: 0, maxRow: matrixHeight(grid, z) - 1, minCol: 0, maxCol: matrixWidth(grid, z) - 1 };
  const [minX, minY, maxX, maxY] = boundsInGrid(grid, bounds);
  const margin = EDGE_MARGIN_PIXELS * cellSize(grid, z);
  const topLeft = tileAtPoint(grid, z, minX - margin, maxY + margin);
  const bottomRight = tileAtPoint(grid, z, maxX + margin, minY - margin);
  return { z, minRow: topLeft.y, maxRow: bottomRight.y, minCol: topLeft.x, maxCol: bottomRight.x };
}

/**
 * Degrees to the grid's CRS. CGCS2000 and WGS 84 differ by centimetres, far below a pixel of
 * any level served, so CGCS2000Quad takes the degrees as they are.
 */
function boundsInGrid(grid: TileMatrixSet, [west, south, east, north]: Bounds): Bounds {
  if (grid.srid === CGCS2000Quad.srid) return [west, south, east, north];
  if (grid.srid === WebMercatorQuad.srid) return [...toWebMercator(west, south), ...toWebMercator(east, north)];
  throw new Error(`no conversion of layer bounds to EPSG:${grid.srid} (tile matrix set ${grid.id})`);
}

function toWebMercator(longitude: number, latitude: number): [number, number] {
  const clamped = Math.max(-MAX_MERCATOR_LATITUDE, Math.min(MAX_MERCATOR_LATITUDE, latitude));
  const x = (SEMI_MAJOR_AXIS_METRES * longitude * Math.PI) / 180;
  const y = SEMI_MAJOR_AXIS_METRES * Math.log(Math.tan(Math.PI / 4 + (clamped * Math.PI) / 360));
  return [x, y];
}
