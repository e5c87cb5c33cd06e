import type { Pool, PoolClient } from '../../core/db/pool.js';
import { CANONICAL_SRID } from '../../core/db/dataset-layout.js';
import type { Logger } from '../../core/logger.js';
import { runInLanes } from '../qa/check-lanes.js';

/**
 * The staging rows with their geometry in the source CRS, as a FROM item: what the coordinate
 * checks read before anything is repaired or transformed. COPY has already parsed the geometry
 * (hex EWKB with the source SRID, see copyToStaging), so this is the table itself.
 */
export function parsedStaging(qualifiedStaging: string): string {
  return `(SELECT source_file, feature_index, source_srid, properties, geom_src FROM ${qualifiedStaging}) AS parsed`;
}

/**
 * From staging rows to geometries ready to publish, in SQL: repair invalid geometries in the
 * source CRS (ST_MakeValid works in the plane, where the delivery was drawn), keep the
 * polygonal part as a multi-polygon, and transform to EPSG:4490 (NULL when nothing polygonal
 * is left: a rejected feature). The work table keeps the source
 * geometry too, for the precision and repair checks.
 *
 * Everything is computed in the CREATE TABLE AS: adding the geometry with a later UPDATE left
 * HOT chains that the GiST index then broke, so PostgreSQL marked the index `indcheckxmin` and
 * any older open transaction in the cluster kept the overlap check from using it (a nested
 * loop over all pairs; bench/README.md). The subqueries are fenced with OFFSET 0 so that
 * each function runs once a row (flattened, ST_MakeValid ran four times: 6.2 s against 1.4 s
 * per 100,000). ST_MakeValid runs only on invalid geometries: it returns a valid one unchanged
 * (documented, "already-valid geometries are returned without further intervention", and
 * byte for byte so on the 300,000 parcels of bench:import), after checking it again.
 *
 * `area_m2` is the area on the CGCS2000 ellipsoid (NULL without a geometry), computed once here
 * for the area and sliver checks: each computed it again, the area check twice a row (its
 * flattened subquery repeats the expression).
 */
export function workTableDdl(qualifiedWork: string, qualifiedStaging: string): string {
  return `CREATE UNLOGGED TABLE ${qualifiedWork} AS ${workTableQuery(qualifiedStaging)}`;
}

/** The SELECT of workTableDdl, over the staging rows that satisfy `where`. */
function workTableQuery(qualifiedStaging: string, where = 'true'): string {
  return `SELECT transformed.*, ST_Area(geom::geography) AS area_m2
      FROM (SELECT fixed.*,
                   CASE WHEN geom_fixed IS NULL OR ST_IsEmpty(geom_fixed) THEN NULL
                        ELSE ST_Transform(geom_fixed, ${CANONICAL_SRID}) END::geometry(MultiPolygon, ${CANONICAL_SRID}) AS geom
              FROM (SELECT checked.*,
                           CASE WHEN geom_src IS NULL OR ST_IsEmpty(geom_src) THEN NULL
                                ELSE ST_Multi(ST_CollectionExtract(CASE WHEN was_invalid THEN ST_MakeValid(geom_src) ELSE geom_src END, 3)) END AS geom_fixed
                      FROM (SELECT source_file, feature_index, source_srid, properties, geom_src,
                                   geom_src IS NOT NULL AND NOT ST_IsValid(geom_src) AS was_invalid
                              FROM ${parsedStaging(qualifiedStaging)}
                             WHERE ${where}
                            OFFSET 0) checked
                    OFFSET 0) fixed
            OFFSET 0) transformed`;
}

/** Connections the work table is filled on at once (halves of the staging rows). */
const FILL_LANES = 2;

/**
 * The work table of workTableDdl, filled on FILL_LANES connections at once when the caller lends
 * its pool: the repair, transform and area are seconds of one CPU per 300,000 features (the
 * statement runs on one process: its fenced subqueries keep PostgreSQL from computing them in
 * parallel workers). The table is created empty and committed, then each lane INSERTs the
 * staging rows of its own parity of feature_index (rows of several files included): the same
 * rows as the CREATE TABLE AS, in no particular order (the publish orders them). No UPDATE:
 * see workTableDdl.
 */
export async function fillWorkTable(client: PoolClient, pool: Pool, logger: Logger, qualifiedWork: string, qualifiedStaging: string): Promise<void> {
  await client.query(`${workTableDdl(qualifiedWork, qualifiedStaging)} WITH NO DATA`);
  const halves = Array.from({ length: FILL_LANES }, (_, lane) => (connection: PoolClient) =>
    connection.query(`INSERT INTO ${qualifiedWork} ${workTableQuery(qualifiedStaging, `feature_index % ${FILL_LANES} = ${lane}`)}`));
  await runInLanes(client, pool, FILL_LANES, logger, halves);
}

/** The spatial index the overlap and county checks join on, and statistics for the planner. */
export async function indexWorkTable(client: PoolClient, qualifiedWork: string): Promise<void> {
  await client.query(`CREATE INDEX ON ${qualifiedWork} USING gist (geom)`);
  await client.query(`ANALYZE ${qualifiedWork}`);
}
