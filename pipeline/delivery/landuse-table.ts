import type { PoolClient } from '../../core/db/pool.js';

/**
 * `delivery_dltb`: the sample parcels as delivered, one column per DLTB field. The geometry is
 * taken to the county's delivery zone (delivery_county) and rounded to the millimetre there
 * (pg_temp.snap_mm) first, and the areas follow from it:
 * TBMJ is the area on the CGCS2000 ellipsoid of the rounded parcel, in m² to two decimals, as
 * the importer's areaMismatch check computes it; KCMJ = TBMJ × KCXS and TBDLMJ = TBMJ − KCMJ
 * (each rounded), as in 三调 and in the published sample. A parcel that rounding empties (narrower
 * than a millimetre) is not delivered, and leaves a gap in the numbering.
 *
 * Columns that are not fields, for the planning layers drawn on these parcels: `is_urban` (see
 * sample-parcels.ts) and `pos`, a point inside the parcel (indexed).
 *
 * Edge-matched (接边) like real county deliveries: each county's parcels end the county's border
 * segments at their own points, so a border parcel first takes in the points of the neighbouring
 * county's parcels on its border (ST_Snap within a micrometre, which inserts them into its edges).
 * Both sides then hold the same vertices, round them alike, and meet exactly; without it, the
 * long segments of the generalised outlines would part by up to a square metre once rounded.
 * Counties delivered in different zones still differ by their rounding, as real ones do.
 *
 * The CTEs are MATERIALIZED so that rounding and measuring run once per parcel, not once for
 * each reference to their columns.
 */
const EDGE_MATCH_TOLERANCE_M = 1e-6;

/** The counties' outlines as segments, indexed: border parcels' vertices are found near them. */
const BORDER_SEGMENT_SQL = `CREATE TEMP TABLE delivery_border_segment ON COMMIT DROP AS
  SELECT d.geom AS segment FROM sample_county c, ST_DumpSegments(ST_Boundary(c.geom_gk)) d`;

/**
 * Vertices of each county's parcels that lie on its outline (with their parcel): the points
 * neighbours take in. Any county's segments will do, since outlines meet without overlapping;
 * leaving the county out of the test lets the index answer it.
 */
const BORDER_POINT_SQL = `CREATE TEMP TABLE delivery_border_point ON COMMIT DROP AS
  SELECT DISTINCT p.county_code, p.seq, d.geom AS point
    FROM sample_parcel p, ST_DumpPoints(p.geom_gk) d
   WHERE EXISTS (SELECT 1 FROM delivery_border_segment s WHERE s.segment && p.geom_gk)
     AND EXISTS (SELECT 1 FROM delivery_border_segment s WHERE ST_DWithin(d.geom, s.segment, ${EDGE_MATCH_TOLERANCE_M}))`;

const LANDUSE_TABLE_SQL = `CREATE TEMP TABLE delivery_dltb ON COMMIT DROP AS
  WITH matched AS MATERIALIZED (
    SELECT p.*, coalesce(ST_Snap(p.geom_gk, n.points, ${EDGE_MATCH_TOLERANCE_M}), p.geom_gk) AS geom_matched
      FROM sample_parcel p
      LEFT JOIN LATERAL (
        SELECT ST_Collect(b.point ORDER BY ST_X(b.point), ST_Y(b.point)) AS points
          FROM delivery_border_point b
         WHERE b.county_code <> p.county_code AND ST_DWithin(b.point, p.geom_gk, ${EDGE_MATCH_TOLERANCE_M})
           AND EXISTS (SELECT 1 FROM delivery_border_point own WHERE own.county_code = p.county_code AND own.seq = p.seq)
      ) n ON true
  ), rounded AS MATERIALIZED (
    SELECT m.*, pg_temp.snap_mm(ST_Transform(m.geom_matched, c.zone_srid)) AS geom_mm
      FROM matched m JOIN delivery_county c ON c.code = m.county_code
  ), measured AS MATERIALIZED (
    SELECT r.*, round(ST_Area(ST_Transform(geom_mm, 4490)::geography)::numeric, 2)::float8 AS tbmj
      FROM rounded r WHERE NOT ST_IsEmpty(geom_mm)
  )
  SELECT county_code, seq,
         bsm AS "BSM", ysdm AS "YSDM", tbbh AS "TBBH", dlbm AS "DLBM", dlmc AS "DLMC", qsxz AS "QSXZ",
         dwdm AS "QSDWDM", dwmc AS "QSDWMC", dwdm AS "ZLDWDM", dwmc AS "ZLDWMC",
         tbmj AS "TBMJ", kcdlbm AS "KCDLBM", kcxs AS "KCXS",
         round((tbmj * coalesce(kcxs, 0))::numeric, 2)::float8 AS "KCMJ",
         round((tbmj * (1 - coalesce(kcxs, 0)))::numeric, 2)::float8 AS "TBDLMJ",
         gdlx AS "GDLX", county_code AS "XZQDM", sjnf AS "SJNF",
         geom_mm AS geom_gk, is_urban, ST_PointOnSurface(geom_mm) AS pos
    FROM measured`;

export async function createLandUseTable(client: PoolClient): Promise<void> {
  await client.query(BORDER_SEGMENT_SQL);
  await client.query('CREATE INDEX ON delivery_border_segment USING gist (segment)');
  await client.query('ANALYZE delivery_border_segment');
  await client.query(BORDER_POINT_SQL);
  await client.query('CREATE INDEX ON delivery_border_point (county_code, seq)');
  await client.query('CREATE INDEX ON delivery_border_point USING gist (point)');
  await client.query('ANALYZE delivery_border_point');
  await client.query(LANDUSE_TABLE_SQL);
  await client.query('CREATE INDEX ON delivery_dltb (county_code, seq)');
  await client.query('CREATE INDEX ON delivery_dltb USING gist (pos)');
  await client.query('ANALYZE delivery_dltb');
}
