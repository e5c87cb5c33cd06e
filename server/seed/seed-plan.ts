import type { AppConfig } from '../../core/config/load-config.js';
import { LIVE_SCHEMA } from '../../core/db/dataset-layout.js';
import type { Pool } from '../../core/db/pool.js';
import { AppError, NotFoundError } from '../../core/errors.js';
import { matrixHeight, matrixWidth, tileMatrixSets, tileSpan, type Bounds, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { bboxTileRange, type TileRange } from '../cache/tile-selection.js';
import type { SeedRequest } from './seed-request.js';
import type { SeedTarget } from './seed-target.js';

/** The tiles of one zoom level: a whole rectangle of the grid, or those of it that touch a county's outline. */
export interface SeedLevel {
  readonly z: number;
  readonly range: TileRange;
  /** Listed tiles (a county's outline), or null for every tile of `range`. */
  readonly tiles: readonly (readonly [number, number])[] | null;
  readonly count: number;
}

/** Every tile a seed run or export goes through, counted before anything is computed. */
export interface SeedPlan {
  readonly grid: TileMatrixSet;
  readonly levels: readonly SeedLevel[];
  readonly total: number;
  /** The area in degrees: the bbox, or the county outline's extent. */
  readonly bbox: Bounds;
  readonly county: { readonly code: string; readonly name: string } | null;
}

/** 422: more tiles than `seed.maxTiles`; says how many, and the limit. */
export class TooManyTilesError extends AppError {
  readonly tiles: number;
  readonly limit: number;
  constructor(tiles: number, limit: number, what: string) {
    super(422, 'too_many_tiles', `${what} is ${tiles.toLocaleString('en')} tiles, more than the limit of ${limit.toLocaleString('en')} (seed.maxTiles): choose a smaller area or fewer zoom levels`);
    this.tiles = tiles;
    this.limit = limit;
  }
}

/**
 * A county outline can leave most of its bounding box out; its tiles are listed exactly only
 * when the box holds at most this many times the limit, else the box's count is what is refused.
 */
const OUTLINE_LISTING_FACTOR = 4;

/**
 * Counts (and for a county lists) the tiles of the request at the zooms the target has, and
 * refuses more than `maxTiles` before any is computed. A county outline comes from the live
 * boundary dataset (`analysis.boundary`, code in `analysis.boundaryCodeField`); its tiles are
 * those whose square touches the outline, decided by PostGIS in the grid's CRS.
 */
export async function planSeed(request: SeedRequest, target: SeedTarget, pool: Pool, config: AppConfig): Promise<SeedPlan> {
  const grid = tileMatrixSets.get(request.grid)!;
  const maxTiles = config.seed.maxTiles;
  const minZoom = Math.max(request.minZoom, target.minzoom);
  const maxZoom = Math.min(request.maxZoom, target.maxzoom);
  const county = request.area.kind === 'county' ? await readCounty(pool, config, request.area.code) : null;
  const bbox = county ? county.extent : (request.area as { bbox: Bounds }).bbox;
  const ranges: { z: number; range: TileRange; count: number }[] = [];
  for (let z = minZoom; z <= maxZoom; z++) {
    const range = clampRange(grid, z, bboxTileRange(grid, z, bbox));
    ranges.push({ z, range, count: (range.maxX - range.minX + 1) * (range.maxY - range.minY + 1) });
  }
  const boxTotal = ranges.reduce((sum, level) => sum + level.count, 0);
  const what = `${target.kind} "${target.id}" at zoom ${minZoom} to ${maxZoom} over ${county ? `county ${county.code}` : `bbox [${bbox.join(', ')}]`}`;
  if (!county) {
    if (boxTotal > maxTiles) throw new TooManyTilesError(boxTotal, maxTiles, what);
    return { grid, levels: ranges.map((level) => ({ ...level, tiles: null })), total: boxTotal, bbox, county: null };
  }
  if (boxTotal > OUTLINE_LISTING_FACTOR * maxTiles) throw new TooManyTilesError(boxTotal, maxTiles, `the bounding box of ${what}`);
  const levels: SeedLevel[] = [];
  for (const { z, range } of ranges) {
    const tiles = await tilesTouchingCounty(pool, config, county.code, grid, z, range);
    levels.push({ z, range, tiles, count: tiles.length });
  }
  const total = levels.reduce((sum, level) => sum + level.count, 0);
  if (total > maxTiles) throw new TooManyTilesError(total, maxTiles, what);
  return { grid, levels, total, bbox, county: { code: county.code, name: county.name } };
}

/** Every tile of the plan, level by level, row by row. */
export function* planTiles(plan: SeedPlan): Generator<TileCoord> {
  for (const level of plan.levels) {
    if (level.tiles) {
      for (const [x, y] of level.tiles) yield { z: level.z, x, y };
      continue;
    }
    for (let y = level.range.minY; y <= level.range.maxY; y++) {
      for (let x = level.range.minX; x <= level.range.maxX; x++) yield { z: level.z, x, y };
    }
  }
}

interface County {
  readonly code: string;
  readonly name: string;
  readonly extent: Bounds;
}

async function readCounty(pool: Pool, config: AppConfig, code: string): Promise<County> {
  const { boundary, boundaryCodeField, boundaryNameField } = config.analysis;
  const table = `"${LIVE_SCHEMA}"."${boundary}"`;
  const published = await pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [`${LIVE_SCHEMA}."${boundary}"`]);
  if (!published.rows[0]?.exists) throw new NotFoundError(`county: the boundary dataset "${boundary}" has no published version, so no county outline is known`);
  const { rows } = await pool.query<{ name: string | null; xmin: number | null; ymin: number; xmax: number; ymax: number }>(
    `SELECT "${boundaryNameField}" AS name, ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax
       FROM (SELECT max("${boundaryNameField}"::text) AS "${boundaryNameField}", ST_Extent(geom) AS e
               FROM ${table} WHERE "${boundaryCodeField}"::text = $1) AS c`,
    [code],
  );
  const row = rows[0];
  if (!row || row.xmin === null) {
    const known = await pool.query<{ code: string }>(`SELECT DISTINCT "${boundaryCodeField}"::text AS code FROM ${table} ORDER BY 1`);
    throw new NotFoundError(`county: unknown county "${code}" (counties of "${boundary}": ${known.rows.map((r) => r.code).join(', ') || 'none'})`);
  }
  return { code, name: row.name ?? code, extent: [row.xmin, row.ymin, row.xmax, row.ymax] };
}

/** The tiles of `range` whose square touches the county's outline, in the grid's CRS. */
async function tilesTouchingCounty(pool: Pool, config: AppConfig, code: string, grid: TileMatrixSet, z: number, range: TileRange): Promise<[number, number][]> {
  const { boundary, boundaryCodeField } = config.analysis;
  const span = tileSpan(grid, z);
  const { rows } = await pool.query<{ x: number; y: number }>(
    `WITH outline AS (
       SELECT ST_Transform(ST_Union(geom), $9::int) AS geom FROM "${LIVE_SCHEMA}"."${boundary}" WHERE "${boundaryCodeField}"::text = $1
     )
     SELECT x, y
       FROM outline, generate_series($2::int, $3::int) AS y, generate_series($4::int, $5::int) AS x
      WHERE ST_Intersects(outline.geom, ST_MakeEnvelope($6::float8 + x * $8::float8, $7::float8 - (y + 1) * $8::float8, $6::float8 + (x + 1) * $8::float8, $7::float8 - y * $8::float8, $9::int))
      ORDER BY y, x`,
    [code, range.minY, range.maxY, range.minX, range.maxX, grid.origin[0], grid.origin[1], span, grid.srid],
  );
  return rows.map((row) => [row.x, row.y]);
}

function clampRange(grid: TileMatrixSet, z: number, range: TileRange): TileRange {
  const lastX = matrixWidth(grid, z) - 1;
  const lastY = matrixHeight(grid, z) - 1;
  const clamp = (value: number, last: number) => Math.max(0, Math.min(last, value));
  return { minX: clamp(range.minX, lastX), maxX: clamp(range.maxX, lastX), minY: clamp(range.minY, lastY), maxY: clamp(range.maxY, lastY) };
}
