import type { PoolClient } from '../../core/db/pool.js';

/**
 * Deliveries state Gauss-Kruger coordinates to the millimetre (0.001 m): that is what survey
 * software writes and what the importer's precision check expects. Rounding moves vertices by
 * up to 0.7 mm, which can make a narrow polygon self-intersect or collapse a sliver ring; these
 * functions round and then repair, so that what is written is valid and its stated areas are
 * those of the rounded geometry. Parcels sharing a vertex still share it after rounding, so the
 * tessellation survives.
 *
 * - `pg_temp.snap_mm(g)`: g on the millimetre grid, repaired when rounding broke it; polygonal,
 *   possibly empty.
 * - `pg_temp.snapped_polygons(g)`: the polygons of snap_mm(g) of at least 1 m² (the QA's
 *   minimum mapping unit), one row each: planning layers are delivered polygon by polygon.
 */
const MILLIMETRE = 0.001;
const MIN_POLYGON_M2 = 1;

const SNAP_MM_SQL = `CREATE OR REPLACE FUNCTION pg_temp.snap_mm(g geometry) RETURNS geometry
  LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ST_IsValid(s) THEN ST_CollectionExtract(s, 3) ELSE ST_CollectionExtract(ST_MakeValid(s), 3) END
      FROM (SELECT ST_SnapToGrid(g, ${MILLIMETRE}) AS s) snapped
  $$`;

const SNAPPED_POLYGONS_SQL = `CREATE OR REPLACE FUNCTION pg_temp.snapped_polygons(g geometry) RETURNS SETOF geometry
  LANGUAGE sql IMMUTABLE AS $$
    SELECT d.geom FROM ST_Dump(pg_temp.snap_mm(g)) d WHERE ST_Area(d.geom) >= ${MIN_POLYGON_M2}
  $$`;

export async function createMillimetreFunctions(client: PoolClient): Promise<void> {
  await client.query(SNAP_MM_SQL);
  await client.query(SNAPPED_POLYGONS_SQL);
}
