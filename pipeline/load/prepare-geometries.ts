import type { PoolClient } from '../../core/db/pool.js';
import { CANONICAL_SRID } from '../../core/db/dataset-layout.js';

/**
 * The staging rows with their geometry parsed in the source CRS, as a FROM item: what the
 * coordinate checks read before anything is repaired or transformed.
 */
export function parsedStaging(qualifiedStaging: string): string {
  // OFFSET 0 keeps the planner from flattening the subquery and repeating the parse wherever
  // geom_src is used (EXPLAIN VERBOSE showed ST_GeomFromGeoJSON ~15 times a row).
  return `(SELECT source_file, feature_index, source_srid, properties,
                  ST_SetSRID(ST_GeomFromGeoJSON(geometry_json), source_srid) AS geom_src
             FROM ${qualifiedStaging} OFFSET 0) AS parsed`;
}

/**
 * From raw staging rows to geometries ready to publish, in SQL: parse the GeoJSON in its
 * source CRS, repair invalid geometries in that CRS (ST_MakeValid works in the plane, where the
 * delivery was drawn), keep the polygonal part as a multi-polygon, and transform to EPSG:4490
 * (NULL when nothing polygonal is left: a rejected feature). The work table keeps the source
 * geometry too, for the precision and repair checks.
 *
 * Everything is computed in the CREATE TABLE AS: adding the geometry with a later UPDATE left
 * HOT chains that the GiST index then broke, so PostgreSQL marked the index `indcheckxmin` and
 * any older open transaction in the cluster kept the overlap check from using it (a nested
 * loop over all pairs; bench/README.md). The inner subquery is fenced with OFFSET 0 so that
 * ST_MakeValid runs once a row (flattened, it ran four times: 6.2 s against 1.4 s per 100,000).
 */
export function workTableDdl(qualifiedWork: string, qualifiedStaging: string): string {
  return `CREATE UNLOGGED TABLE ${qualifiedWork} AS
    SELECT fixed.*,
           CASE WHEN geom_fixed IS NULL OR ST_IsEmpty(geom_fixed) THEN NULL
                ELSE ST_Transform(geom_fixed, ${CANONICAL_SRID}) END::geometry(MultiPolygon, ${CANONICAL_SRID}) AS geom
      FROM (SELECT source_file, feature_index, source_srid, properties, geom_src,
                   geom_src IS NOT NULL AND NOT ST_IsValid(geom_src) AS was_invalid,
                   CASE WHEN geom_src IS NULL OR ST_IsEmpty(geom_src) THEN NULL
                        ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(geom_src), 3)) END AS geom_fixed
              FROM ${parsedStaging(qualifiedStaging)}
            OFFSET 0) fixed`;
}

/** The spatial index the overlap and county checks join on, and statistics for the planner. */
export async function indexWorkTable(client: PoolClient, qualifiedWork: string): Promise<void> {
  await client.query(`CREATE INDEX ON ${qualifiedWork} USING gist (geom)`);
  await client.query(`ANALYZE ${qualifiedWork}`);
}
