import type { TileCoord } from '../../core/grid/tile-matrix-set.js';
import type { ImagePlacement } from './tile-features.js';

/** Raster tiles are 256 px, or 512 px at @2x. */
export const RASTER_TILE_SIZE_PIXELS = 256;

/** The vector tile a raster tile is drawn from, and where its units land on the image. */
export interface SourceTile {
  readonly tile: TileCoord;
  placementAt(imageSize: number): ImagePlacement;
}

/**
 * The vector tile to draw a raster tile from: the same tile inside the tileset's zoom range,
 * its ancestor at `maxzoom` above it (overzoom: the image shows a part of that tile, enlarged),
 * and null below `minzoom` (nothing to draw, as MapLibre shows nothing there).
 */
export function sourceTileFor(tile: TileCoord, minzoom: number, maxzoom: number): SourceTile | null {
  if (tile.z < minzoom) return null;
  const levels = Math.max(0, tile.z - maxzoom);
  const factor = 2 ** levels;
  const ancestor = { z: tile.z - levels, x: Math.floor(tile.x / factor), y: Math.floor(tile.y / factor) };
  return {
    tile: ancestor,
    placementAt: (imageSize) => ({
      tileSizePixels: imageSize * factor,
      offsetX: (tile.x - ancestor.x * factor) * imageSize,
      offsetY: (tile.y - ancestor.y * factor) * imageSize,
    }),
  };
}
