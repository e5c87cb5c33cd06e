import { isTileInSet, tileMatrixSets, WebMercatorQuad, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { BadRequestError, NotFoundError } from '../../core/errors.js';

/**
 * The parts of a `/tiles/...` path, checked before any I/O:
 * `{tileset}.json`, `{tileset}/{z}/{x}/{y}.{mvt|pbf}` and
 * `{tileset}/{tileMatrixSet}/{z}/{x}/{y}.{mvt|pbf}`.
 */
export type TilePath =
  | { readonly kind: 'tilejson'; readonly tilesetId: string }
  | { readonly kind: 'tile'; readonly tilesetId: string; readonly grid: TileMatrixSet; readonly tile: TileCoord };

export const VECTOR_TILE_EXTENSIONS = new Set(['mvt', 'pbf']);

/** Tileset ids, and composites of them joined by `,`. */
const TILESET_ID_PATTERN = /^[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*$/;
/** Decimal integers without sign or leading zeros (one spelling per tile, for caches). */
const COORDINATE_PATTERN = /^(0|[1-9][0-9]*)$/;

/** Parses the path below `/tiles/` (already without the leading slash). */
export function parseTilePath(rawPath: string): TilePath {
  const segments = rawPath.split('/').map(decodeSegment);
  if (segments.length === 1) {
    const match = /^(.+)\.json$/.exec(segments[0]!);
    if (!match) throw new NotFoundError('no such resource; tiles are /tiles/{tileset}/{z}/{x}/{y}.mvt');
    return { kind: 'tilejson', tilesetId: checkTilesetId(match[1]!) };
  }
  if (segments.length !== 4 && segments.length !== 5) {
    throw new NotFoundError('no such resource; tiles are /tiles/{tileset}/{z}/{x}/{y}.mvt or /tiles/{tileset}/{tileMatrixSet}/{z}/{x}/{y}.mvt');
  }
  const [tilesetSegment, ...rest] = segments as [string, ...string[]];
  const gridId = rest.length === 4 ? rest.shift()! : WebMercatorQuad.id;
  const [zText, xText, last] = rest as [string, string, string];
  const dot = last.lastIndexOf('.');
  const yText = dot < 0 ? last : last.slice(0, dot);
  const extension = dot < 0 ? '' : last.slice(dot + 1);
  if (!VECTOR_TILE_EXTENSIONS.has(extension)) {
    throw new BadRequestError(`unsupported tile format "${truncate(extension)}"; vector tiles end in .mvt or .pbf`);
  }
  const tile = { z: parseCoordinate('z', zText), x: parseCoordinate('x', xText), y: parseCoordinate('y', yText) };
  const tilesetId = checkTilesetId(tilesetSegment);
  const grid = tileMatrixSets.get(gridId);
  if (!grid) {
    throw new NotFoundError(`unknown tile matrix set "${truncate(gridId)}" (available: ${[...tileMatrixSets.keys()].join(', ')})`);
  }
  if (!isTileInSet(grid, tile)) {
    throw new NotFoundError(`tile ${tile.z}/${tile.x}/${tile.y} is outside the ${grid.id} grid`);
  }
  return { kind: 'tile', tilesetId, grid, tile };
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError('the path is not valid percent-encoded UTF-8');
  }
}

function checkTilesetId(id: string): string {
  if (!TILESET_ID_PATTERN.test(id)) {
    throw new BadRequestError(`"${truncate(id)}" is not a tileset id (lower-case [a-z0-9_], several joined by ",")`);
  }
  return id;
}

function parseCoordinate(name: 'z' | 'x' | 'y', text: string): number {
  if (!COORDINATE_PATTERN.test(text)) {
    throw new BadRequestError(`tile ${name} "${truncate(text)}" is not a non-negative integer`);
  }
  // Beyond 2^53 the value is no longer exact, but it is far outside every grid anyway.
  return Number(text);
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
