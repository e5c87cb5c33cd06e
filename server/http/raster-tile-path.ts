import { isTileInSet, tileMatrixSets, WebMercatorQuad, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { BadRequestError, NotFoundError } from '../../core/errors.js';
import { RASTER_FORMATS, type RasterFormat } from '../render/raster-tile-service.js';
import { STYLE_ID_PATTERN } from '../styles/style-catalog.js';

/** The parts of a raster tile path, checked before any I/O. */
export interface RasterTilePath {
  readonly styleId: string;
  readonly grid: TileMatrixSet;
  readonly tile: TileCoord;
  readonly scale: 1 | 2;
  readonly format: RasterFormat;
}

/** Decimal integers without sign or leading zeros (one spelling per tile, for caches). */
const COORDINATE_PATTERN = /^(0|[1-9][0-9]*)$/;
/** `{y}`, `{y}@2x`, then the extension. */
const LAST_SEGMENT_PATTERN = /^([^@.]*)(@2x)?\.([^.]*)$/;

/**
 * Parses the segments below `/styles/`: `{style}/{z}/{x}/{y}[@2x].{png|webp|jpg}` and
 * `{style}/{tileMatrixSet}/{z}/{x}/{y}[@2x].{ext}`. Malformed numbers answer 400; an unknown
 * format or grid, or a tile outside the grid, 404 (there is no such resource). Whether the
 * style exists and the zoom is in its range is the renderer's check.
 */
export function parseRasterTilePath(segments: readonly string[]): RasterTilePath {
  if (segments.length !== 4 && segments.length !== 5) {
    throw new NotFoundError('no such resource; raster tiles are /styles/{style}/{z}/{x}/{y}[@2x].png and /styles/{style}/{tileMatrixSet}/{z}/{x}/{y}[@2x].png');
  }
  const [styleId, ...rest] = segments as [string, ...string[]];
  const gridId = rest.length === 4 ? rest.shift()! : WebMercatorQuad.id;
  const [zText, xText, last] = rest as [string, string, string];
  const match = LAST_SEGMENT_PATTERN.exec(last);
  if (!match) throw new NotFoundError(`"${truncate(last)}" is not {y}[@2x].{format}`);
  const [, yText, retina, extension] = match as unknown as [string, string, string | undefined, string];
  if (!(RASTER_FORMATS as readonly string[]).includes(extension)) {
    throw new NotFoundError(`unsupported raster format "${truncate(extension)}" (available: ${RASTER_FORMATS.join(', ')})`);
  }
  const tile = { z: parseCoordinate('z', zText), x: parseCoordinate('x', xText), y: parseCoordinate('y', yText) };
  if (!STYLE_ID_PATTERN.test(styleId)) throw new NotFoundError(`unknown style "${truncate(styleId)}"`);
  const grid = tileMatrixSets.get(gridId);
  if (!grid) {
    throw new NotFoundError(`unknown tile matrix set "${truncate(gridId)}" (available: ${[...tileMatrixSets.keys()].join(', ')})`);
  }
  if (!isTileInSet(grid, tile)) throw new NotFoundError(`tile ${tile.z}/${tile.x}/${tile.y} is outside the ${grid.id} grid`);
  return { styleId, grid, tile, scale: retina ? 2 : 1, format: extension as RasterFormat };
}

function parseCoordinate(name: 'z' | 'x' | 'y', text: string): number {
  if (!COORDINATE_PATTERN.test(text)) throw new BadRequestError(`tile ${name} "${truncate(text)}" is not a non-negative integer`);
  return Number(text);
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
