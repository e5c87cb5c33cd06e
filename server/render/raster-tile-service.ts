import type { TileCoord, TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';

/** Image formats a raster tile can be encoded in (the URL extension, `jpg` for JPEG). */
export type RasterFormat = 'png' | 'webp' | 'jpg';

export const RASTER_FORMATS: readonly RasterFormat[] = ['png', 'webp', 'jpg'];

/** Content-Type of each raster format. */
export const RASTER_CONTENT_TYPES: Readonly<Record<RasterFormat, string>> = {
  png: 'image/png',
  webp: 'image/webp',
  jpg: 'image/jpeg',
};

export interface RasterOptions {
  /** 1: 256 px tiles; 2: 512 px (`@2x`) tiles of the same area for high-density screens. */
  readonly scale: 1 | 2;
  readonly format: RasterFormat;
  /** When given, receives the milliseconds spent in each step (Server-Timing, bench). */
  readonly timings?: RenderTimings;
  /**
   * The tileset catalog to draw from; default the current one. The raster cache passes the one
   * its key was made from, so an image is always of the versions its key names, even when a
   * publish rebuilds the catalog while it is drawn (a rollback would otherwise find newer data
   * under the old key).
   */
  readonly catalog?: TilesetCatalog;
}

/** Milliseconds spent in each step of one render. A tile served from a cache leaves them 0. */
export interface RenderTimings {
  vectorMs: number;
  decodeMs: number;
  drawMs: number;
  encodeMs: number;
}

/**
 * Raster tiles of a style: the seam between the raster routes (XYZ and WMTS) and the renderer.
 * A style tile is drawn from the vector tiles of the style's sources in the same tile matrix
 * set, so a CGCS2000Quad tile is drawn from CGCS2000Quad vector geometry.
 */
export interface RasterTileService {
  /**
   * The encoded image of one tile. Rejects with NotFoundError for an unknown style, a tile
   * outside the grid or a zoom outside the style's [minzoom, maxzoom]; rejects when a vector
   * tile could not be read (never draws a failed source as empty). A tile with no feature is
   * still an image (the style's background, or transparent).
   */
  render(styleId: string, tile: TileCoord, grid: TileMatrixSet, options: RasterOptions, signal?: AbortSignal): Promise<Buffer>;
}
