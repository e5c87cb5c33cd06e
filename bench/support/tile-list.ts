import { escapeIdentifier } from 'pg';
import type { TilesetConfig } from '../../core/config/schema.js';
import { mercatorColumnName, qualifiedLiveView } from '../../core/db/dataset-layout.js';
import type { Pool } from '../../core/db/pool.js';
import { tileAtPoint, tileSpan, WebMercatorQuad, type Bounds, type TileCoord } from '../../core/grid/tile-matrix-set.js';

/** Tiles per zoom at most: enough to spread over the eight counties, few enough to cycle often. */
export const MAX_TILES_PER_ZOOM = 300;

export interface TileList {
  readonly z: number;
  /** Tiles to request, in a fixed order (north to south, west to east). */
  readonly tiles: readonly TileCoord[];
  /** Tiles at this zoom whose centre lies on a parcel; `tiles` is an even pick of these. */
  readonly candidateCount: number;
}

/**
 * A deterministic list of WebMercatorQuad tiles at zoom z that lie within the data: tiles whose
 * centre falls on a parcel of the live dataset (parcels tessellate the counties, so this is
 * "inside the county outlines" and the tile is never empty). From all such tiles, ordered by
 * row then column, every (count / limit)-th is kept, which spreads the list over the whole area
 * rather than the northern rows only. The data extent is read once; then one query per zoom.
 */
export async function selectTileLists(pool: Pool, tileset: TilesetConfig, zooms: readonly number[]): Promise<TileList[]> {
  const column = escapeIdentifier(mercatorColumnName(tileset.geometryColumn));
  const view = qualifiedLiveView(tileset.source);
  const extent = await dataExtent(pool, view, column);
  const lists: TileList[] = [];
  for (const z of zooms) lists.push(await selectTiles(pool, view, column, extent, z));
  return lists;
}

async function selectTiles(pool: Pool, view: string, column: string, extent: Bounds, z: number): Promise<TileList> {
  const grid = WebMercatorQuad;
  const [minX, minY, maxX, maxY] = extent;
  const northWest = tileAtPoint(grid, z, minX, maxY);
  const southEast = tileAtPoint(grid, z, maxX, minY);
  const { rows } = await pool.query<{ x: number; y: number; total: number }>(
    `WITH candidate AS (
       SELECT x, y
         FROM generate_series($1::int, $2::int) AS x, generate_series($3::int, $4::int) AS y
        WHERE EXISTS (SELECT 1 FROM ${view} AS parcel
                       WHERE ST_Intersects(parcel.${column},
                               ST_SetSRID(ST_MakePoint($5 + (x + 0.5) * $7, $6 - (y + 0.5) * $7), ${grid.srid})))
     ), numbered AS (
       SELECT x, y, row_number() OVER (ORDER BY y, x) - 1 AS i, count(*) OVER () AS total FROM candidate
     )
     SELECT x, y, total::int AS total
       FROM numbered
      WHERE i = 0 OR (i * $8::bigint) / total > ((i - 1) * $8::bigint) / total
      ORDER BY i`,
    [northWest.x, southEast.x, northWest.y, southEast.y, grid.origin[0], grid.origin[1], tileSpan(grid, z), MAX_TILES_PER_ZOOM],
  );
  if (rows.length === 0) throw new Error(`no tile at zoom ${z} has its centre on a parcel of ${view}`);
  return { z, tiles: rows.map(({ x, y }) => ({ z, x, y })), candidateCount: rows[0]!.total };
}

/** [minX, minY, maxX, maxY] of the live data in EPSG:3857. */
async function dataExtent(pool: Pool, view: string, column: string): Promise<Bounds> {
  const { rows } = await pool.query<{ w: number | null; s: number; e: number; n: number }>(
    `SELECT ST_XMin(box) AS w, ST_YMin(box) AS s, ST_XMax(box) AS e, ST_YMax(box) AS n
       FROM (SELECT ST_Extent(${column}) AS box FROM ${view}) AS extent`,
  );
  const row = rows[0];
  if (!row || row.w === null) throw new Error(`${view} holds no geometry`);
  return [row.w, row.s, row.e, row.n];
}
