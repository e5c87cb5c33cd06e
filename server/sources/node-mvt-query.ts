import { escapeIdentifier } from 'pg';
import type { TilesetConfig } from '../../core/config/schema.js';
import { qualifiedLiveView, qualifiedVersionTable } from '../../core/db/dataset-layout.js';
import { tileBounds, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { geometryColumnFor } from './mvt-query.js';

/**
 * The statement that feeds the Node encoder, for databases whose PostGIS has no ST_AsMVT
 * (PGlite's is built without protobuf). It selects the same rows as the ST_AsMVT statement
 * (the `&&` filter on the buffered envelope, same index) and does in SQL what is cheap there:
 * the geometry is moved into tile space (0..extent, y down), snapped to the integer grid and
 * then clipped to the buffered tile with ST_ClipByBox2D, in that order because ST_AsMVTGeom does
 * it in that order (clipping first would put a cut vertex up to 2.5 units elsewhere than
 * ST_AsMVT does), so a county outline at z16 crosses the wire as a few vertices. Node then
 * re-clips, orients and encodes (node-mvt-encoder.ts). Coordinates are sent with 1/100 unit:
 * clipping makes fractional vertices, and the tile keeps whole units.
 *
 * String properties are sent as text (what ST_AsMVT writes for any non-numeric, non-boolean
 * type, e.g. dates), numeric ones as float8 (pg would return bigint and numeric as strings).
 * Parameters: $1-$4 tile bounds in the grid's CRS, $5 buffer margin in CRS units.
 */
export interface NodeMvtQuery {
  readonly text: string;
  values(tile: TileCoord): number[];
}

export type FieldKind = 'String' | 'Number' | 'Boolean';

/**
 * With `version`, the statement reads that version's table rather than the live view, as the
 * ST_AsMVT statement does (mvt-query.ts): a tile's content is the version its cache key names.
 */
export function buildNodeMvtQuery(tileset: TilesetConfig, grid: TileMatrixSet, fields: Readonly<Record<string, string>>, version?: number): NodeMvtQuery {
  const geometryColumn = escapeIdentifier(geometryColumnFor(tileset, grid));
  const idColumn = escapeIdentifier(tileset.idColumn);
  const extent = tileset.extent;
  const buffer = tileset.buffer;
  const properties = tileset.properties.map((column) => `, ${castFor(escapeIdentifier(column), fields[column])} AS ${escapeIdentifier(column)}`).join('');
  // x_tile = (x - west) * extent / width; y_tile = (y - north) * -extent / height.
  const toTileSpace = `ST_TransScale(${geometryColumn}, -$1::float8, -$4::float8, ${extent} / ($3::float8 - $1::float8), ${extent} / ($2::float8 - $4::float8))`;
  const clipBox = `ST_MakeEnvelope(${-buffer}, ${-buffer}, ${extent + buffer}, ${extent + buffer})::box2d`;
  const text = `SELECT id, ST_AsGeoJSON(geom, 2) AS geojson${tileset.properties.map((column) => `, ${escapeIdentifier(column)}`).join('')}
FROM (
  SELECT ${idColumn}::float8 AS id, ST_ClipByBox2D(ST_SnapToGrid(${toTileSpace}, 1), ${clipBox}) AS geom${properties}
    FROM ${version === undefined ? qualifiedLiveView(tileset.source) : qualifiedVersionTable(tileset.source, version)}
   WHERE ${geometryColumn} && ST_MakeEnvelope($1 - $5, $2 - $5, $3 + $5, $4 + $5, ${grid.srid})
) AS clipped
WHERE NOT ST_IsEmpty(geom)
ORDER BY id`;
  return {
    text,
    values(tile) {
      const bounds = tileBounds(grid, tile);
      const margin = ((bounds[2] - bounds[0]) * buffer) / extent;
      return [...bounds, margin];
    },
  };
}

function castFor(column: string, kind: string | undefined): string {
  if (kind === 'Number') return `${column}::float8`;
  if (kind === 'Boolean') return column;
  return `${column}::text`;
}
