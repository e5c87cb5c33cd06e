import { WebMercatorQuad, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';

/**
 * The MapLibre zoom at which a 256 px tile of level z shows the map at its own scale: style
 * zoom rules (line widths, layers that appear with zoom) then draw the raster tile exactly as a
 * MapLibre client draws the vector tiles at that scale.
 *
 * MapLibre's zoom Z is a world 512 * 2^Z px wide, so a 256 px WebMercatorQuad tile of level z
 * is zoom z - 1 (as tileserver-gl renders them). Another grid is matched by ground resolution
 * along the equator: a CGCS2000Quad tile spans 180 / 2^z degrees, half a Web Mercator tile of
 * the same level, so its level z is zoom z. East-west, the resolutions then agree at every
 * latitude (both scale with cos(latitude)). Below zoom 0 the style is evaluated at 0.
 */
export function styleZoom(grid: TileMatrixSet, z: number): number {
  const ratio = Math.log2((WebMercatorQuad.tileSpan0 * WebMercatorQuad.metresPerUnit) / (grid.tileSpan0 * grid.metresPerUnit));
  // Rounded: the spans are products of pi and would leave 1 + 1e-16.
  const levelOffset = Math.round(ratio * 1e9) / 1e9;
  return Math.max(0, z + levelOffset - 1);
}
