import { escapeIdentifier } from 'pg';
import type { TilesetConfig } from '../../core/config/schema.js';
import { mercatorColumnName, qualifiedLiveView } from '../../core/db/dataset-layout.js';
import type { Pool } from '../../core/db/pool.js';
import { tileBounds, tileAtPoint, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';

/**
 * What a tile must hold, computed independently of the tile code: the rows of the live data
 * whose geometry intersects the tile grown by its buffer (ST_Intersects, not the bounding-box
 * filter the server uses), with their properties and their area inside that box in tile units².
 */
export interface ExpectedFeature {
  readonly id: number;
  readonly properties: Record<string, string | number | null>;
  /** Area of the geometry inside the buffered tile, in tile units². */
  readonly clippedArea: number;
  /** True when the whole geometry lies inside the (unbuffered) tile. */
  readonly isInsideTile: boolean;
  /** Area of the whole geometry in tile units². */
  readonly area: number;
}

export async function expectedFeatures(pool: Pool, tileset: TilesetConfig, grid: TileMatrixSet, tile: TileCoord): Promise<Map<number, ExpectedFeature>> {
  const column = escapeIdentifier(grid.srid === 3857 ? mercatorColumnName(tileset.geometryColumn) : tileset.geometryColumn);
  const bounds = tileBounds(grid, tile);
  const unit = (bounds[2] - bounds[0]) / tileset.extent;
  const margin = unit * tileset.buffer;
  const properties = tileset.properties.map((name) => `, ${escapeIdentifier(name)}`).join('');
  const { rows } = await pool.query<Record<string, string | number | null> & { id: string; clipped_area: number; inside: boolean; area: number }>(
    `WITH box AS (SELECT ST_MakeEnvelope($1, $2, $3, $4, ${grid.srid}) AS tile,
                         ST_MakeEnvelope($1 - $5, $2 - $5, $3 + $5, $4 + $5, ${grid.srid}) AS grown)
     SELECT ${escapeIdentifier(tileset.idColumn)} AS id${properties},
            ST_Area(ST_Intersection(${column}, box.grown)) / ($6::float8 * $6::float8) AS clipped_area,
            ST_Area(${column}) / ($6::float8 * $6::float8) AS area,
            ST_Within(${column}, box.tile) AS inside
       FROM ${qualifiedLiveView(tileset.source)}, box
      WHERE ST_Intersects(${column}, box.grown)`,
    [...bounds, margin, unit],
  );
  return new Map(
    rows.map((row) => [
      Number(row.id),
      {
        id: Number(row.id),
        properties: Object.fromEntries(tileset.properties.map((name) => [name, row[name] ?? null])),
        clippedArea: row.clipped_area,
        isInsideTile: row.inside,
        area: row.area,
      },
    ]),
  );
}

/** Tiles at zoom z containing the point-on-surface of the first few parcels (deterministic). */
export async function tilesAroundParcels(pool: Pool, grid: TileMatrixSet, z: number, count: number): Promise<TileCoord[]> {
  const column = grid.srid === 3857 ? 'geom_3857' : 'geom';
  // Every 97th parcel spreads the tiles over several counties.
  const { rows } = await pool.query<{ x: number; y: number }>(
    `SELECT ST_X(p) AS x, ST_Y(p) AS y
       FROM (SELECT fid, ST_PointOnSurface(${column}) AS p FROM live.landuse WHERE fid % 97 = 1) parcels
      ORDER BY fid`,
  );
  const tiles: TileCoord[] = [];
  for (const row of rows) {
    const tile = tileAtPoint(grid, z, row.x, row.y);
    if (!tiles.some((other) => other.x === tile.x && other.y === tile.y)) tiles.push(tile);
    if (tiles.length === count) break;
  }
  return tiles;
}
