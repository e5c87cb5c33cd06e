import type { PoolClient } from '../../core/db/pool.js';
import { CANONICAL_SRID } from '../../core/db/dataset-layout.js';

/**
 * From raw staging rows to geometries ready to publish, in SQL: parse the GeoJSON in its
 * source CRS, repair invalid geometries in that CRS (ST_MakeValid works in the plane, where the
 * delivery was drawn), keep the polygonal part as a multi-polygon, and transform to EPSG:4490.
 * The work table keeps the source geometry too, for the precision and repair checks.
 */
export function workTableDdl(qualifiedWork: string, qualifiedStaging: string): string {
  return `CREATE UNLOGGED TABLE ${qualifiedWork} AS
    SELECT source_file, feature_index, source_srid, properties, geom_src,
           geom_src IS NOT NULL AND NOT ST_IsValid(geom_src) AS was_invalid,
           CASE WHEN geom_src IS NULL OR ST_IsEmpty(geom_src) THEN NULL
                ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(geom_src), 3)) END AS geom_fixed
      FROM (SELECT source_file, feature_index, source_srid, properties,
                   ST_SetSRID(ST_GeomFromGeoJSON(geometry_json), source_srid) AS geom_src
              FROM ${qualifiedStaging}) parsed`;
}

/** Adds the canonical geometry; features whose repaired geometry is empty keep NULL (rejected). */
export async function transformToCanonical(client: PoolClient, qualifiedWork: string): Promise<void> {
  await client.query(`ALTER TABLE ${qualifiedWork} ADD COLUMN geom geometry(MultiPolygon, ${CANONICAL_SRID})`);
  await client.query(`UPDATE ${qualifiedWork}
     SET geom = ST_Transform(geom_fixed, ${CANONICAL_SRID})
   WHERE geom_fixed IS NOT NULL AND NOT ST_IsEmpty(geom_fixed)`);
  // For the overlap and county checks, which join features spatially.
  await client.query(`CREATE INDEX ON ${qualifiedWork} USING gist (geom)`);
  await client.query(`ANALYZE ${qualifiedWork}`);
}
