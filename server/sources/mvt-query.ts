import { escapeIdentifier, escapeLiteral } from 'pg';
import type { TilesetConfig } from '../../core/config/schema.js';
import { CANONICAL_SRID, mercatorColumnName, qualifiedLiveView, qualifiedVersionTable, MERCATOR_SRID } from '../../core/db/dataset-layout.js';
import { tileBounds, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';

/**
 * The ST_AsMVT statement of one tileset in one tile matrix set, built once at start-up.
 * Identifiers come from validated config and are quoted; the tile's bounds and margin are the
 * only parameters ($1-$4 bounds in the grid's CRS, $5 the buffer margin in CRS units), so no
 * request text ever reaches SQL. Bounds come from the one grid module rather than
 * ST_TileEnvelope, so any tile matrix set works the same way.
 *
 * The `&&` filter on the buffered envelope uses the GIST index of the column stored in the
 * grid's CRS (geom_3857 for Web Mercator, the canonical geom for CGCS2000). Rows whose clipped
 * geometry vanishes are skipped by ST_AsMVT itself: an outer `WHERE geom IS NOT NULL` would be
 * pushed into the scan and evaluate ST_AsMVTGeom twice per row. Features are aggregated in id
 * order, so a tile's bytes (and its ETag) do not depend on the plan PostgreSQL picks.
 */
export interface MvtQuery {
  readonly text: string;
  /** Prepared-statement name, unique per tileset, grid and version. */
  readonly name: string;
  values(tile: TileCoord): number[];
}

/**
 * With `version`, the statement reads that version's table rather than the live view: the
 * tile then matches the version in its cache key even when a publish switches the view
 * before this server's catalog has taken it in (or a read replica lags behind).
 */
export function buildMvtQuery(tileset: TilesetConfig, grid: TileMatrixSet, version?: number): MvtQuery {
  const geometryColumn = geometryColumnFor(tileset, grid);
  const envelope = `ST_MakeEnvelope($1, $2, $3, $4, ${grid.srid})`;
  const bufferedEnvelope = `ST_MakeEnvelope($1 - $5, $2 - $5, $3 + $5, $4 + $5, ${grid.srid})`;
  const properties = tileset.properties.map((column) => `, ${escapeIdentifier(column)}`).join('');
  const idColumn = escapeIdentifier(tileset.idColumn);
  const text = `SELECT ST_AsMVT(features, ${escapeLiteral(tileset.id)}, ${tileset.extent}, 'geom', ${escapeLiteral(tileset.idColumn)} ORDER BY features.${idColumn}) AS mvt
FROM (
  SELECT ${idColumn},
         ST_AsMVTGeom(${escapeIdentifier(geometryColumn)}, ${envelope}, ${tileset.extent}, ${tileset.buffer}, true) AS geom${properties}
    FROM ${version === undefined ? qualifiedLiveView(tileset.source) : qualifiedVersionTable(tileset.source, version)}
   WHERE ${escapeIdentifier(geometryColumn)} && ${bufferedEnvelope}
) AS features`;
  return {
    text,
    name: `mvt:${tileset.id}:${grid.id}${version === undefined ? '' : `:v${version}`}`,
    values(tile) {
      const bounds = tileBounds(grid, tile);
      const margin = ((bounds[2] - bounds[0]) * tileset.buffer) / tileset.extent;
      return [...bounds, margin];
    },
  };
}

/** Grids in EPSG:3857 read the stored Mercator copy; grids in EPSG:4490 the canonical geometry. */
export function geometryColumnFor(tileset: TilesetConfig, grid: TileMatrixSet): string {
  if (grid.srid === MERCATOR_SRID) return mercatorColumnName(tileset.geometryColumn);
  if (grid.srid === CANONICAL_SRID) return tileset.geometryColumn;
  throw new Error(`tile matrix set ${grid.id} is in EPSG:${grid.srid}, which has no stored geometry column`);
}
