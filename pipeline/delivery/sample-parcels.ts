import { loadSandiaoClasses } from '../../core/classification/sandiao-classes.js';
import type { PoolClient } from '../../core/db/pool.js';
import { readCountyOutlines } from '../sample/county-outlines.js';
import { cumulativeShares, RURAL_CLASS_WEIGHTS, STATE_OWNED_PREFIXES, URBAN_CLASS_WEIGHTS } from '../sample/landuse-weights.js';

/**
 * The Liaocheng sample parcels, made in PostGIS into session temp tables, for whoever writes
 * them out: the sample delivery (generate-delivery.ts) and, once it adopts this module, the
 * published sample (pipeline/sample/generate-sample.ts, whose SQL this is, split at the point
 * where it turns parcels into rows of a version table).
 *
 * Parcels are Voronoi cells of a jittered, stretched grid of seeds laid out in each county's
 * own Gauss-Kruger zone (EPSG:4526 west of 115.5°E, else 4527), clipped to the county, so they
 * look like the long fields of the North China Plain and tessellate each county. For a seed,
 * the parcels, their numbering and their attributes are those generateSample publishes.
 *
 * Tables (dropped at the end of the caller's transaction):
 * - `sample_county`: code, name, zone_srid, geom_gk (outline in the zone), seat, area (m², plane).
 * - `sample_parcel`: one row per parcel, in the zone (`geom_gk`, not snapped), with the 三调
 *   attributes except the areas (TBMJ, KCMJ, TBDLMJ), which belong to the geometry the caller
 *   finally writes. Also `spacing` (metres between seeds), `is_urban` and `draw`, for deriving
 *   planning layers.
 */
export interface SampleParcelOptions {
  /** About this many parcels are made (the grid is fitted to the county areas). */
  readonly parcels: number;
  readonly seed: string;
}

/** Seeds every `spacing` metres, stretched 1:2.5 north-south like plain fields, jittered by 35 %. */
const FIELD_ASPECT = 2.5;
const JITTER = 0.35;
/** Radius around a county seat where urban classes dominate, as a share of sqrt(county area). */
const URBAN_RADIUS_SHARE = 0.09;
/** Villages are blocks of this size; townships group villages. */
const VILLAGE_BLOCK_METRES = 2500;
const TOWNSHIP_BLOCK_METRES = 9000;

/** A deterministic uniform number in [0, 1) from a text key. */
export const HASH01_FUNCTION_SQL = `CREATE OR REPLACE FUNCTION pg_temp.hash01(key text) RETURNS double precision
  LANGUAGE sql IMMUTABLE AS $$
    SELECT ('x' || substr(md5(key), 1, 12))::bit(48)::bigint / 281474976710656.0
  $$`;

export const COUNTY_TABLE_SQL = `CREATE TEMP TABLE sample_county (
  code text PRIMARY KEY, name text NOT NULL, zone_srid integer, geom_gk geometry, seat geometry, area double precision
) ON COMMIT DROP`;

/** $1 code, $2 name, $3 GeoJSON outline in EPSG:4490. The source outlines carry a ring self-intersection (莘县): repaired before use. */
export const INSERT_COUNTY_SQL = `WITH src AS (
    SELECT ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON($3), 4490)), 3) AS geom
  ), zoned AS (
    SELECT geom, CASE WHEN ST_X(ST_Centroid(geom)) < 115.5 THEN 4526 ELSE 4527 END AS zone_srid FROM src
  )
  INSERT INTO sample_county (code, name, zone_srid, geom_gk, seat, area)
  SELECT $1, $2, zone_srid, ST_Transform(geom, zone_srid), ST_PointOnSurface(ST_Transform(geom, zone_srid)),
         ST_Area(ST_Transform(geom, zone_srid))
    FROM zoned`;

/** $1 parcels, $2 seed: the clipped Voronoi cells, `sample_cell`. */
export const SAMPLE_CELL_SQL = `CREATE TEMP TABLE sample_cell ON COMMIT DROP AS
  WITH county AS (
    SELECT *, sqrt(area / greatest(1, round($1::int * area / sum(area) OVER ()))) AS spacing FROM sample_county
  ), seeds AS (
    SELECT c.code, c.zone_srid, c.spacing,
           ST_SetSRID(ST_MakePoint(
             ST_XMin(c.geom_gk) + (i + 0.5 + ${JITTER} * (2 * pg_temp.hash01(concat_ws(':', $2::text, c.code, i, j, 'x')) - 1)) * c.spacing / sqrt(${FIELD_ASPECT}),
             ST_YMin(c.geom_gk) + (j + 0.5 + ${JITTER} * (2 * pg_temp.hash01(concat_ws(':', $2::text, c.code, i, j, 'y')) - 1)) * c.spacing * sqrt(${FIELD_ASPECT})
           ), c.zone_srid) AS seed_point
      FROM county c,
           generate_series(0, ceil((ST_XMax(c.geom_gk) - ST_XMin(c.geom_gk)) / (c.spacing / sqrt(${FIELD_ASPECT})))::int) AS i,
           generate_series(0, ceil((ST_YMax(c.geom_gk) - ST_YMin(c.geom_gk)) / (c.spacing * sqrt(${FIELD_ASPECT})))::int) AS j
  ), cells AS (
    SELECT s.code, s.spacing, (ST_Dump(ST_VoronoiPolygons(ST_Collect(s.seed_point), 0, ST_Expand(ST_Envelope(c.geom_gk), 1000)))).geom AS cell
      FROM seeds s JOIN sample_county c USING (code)
     WHERE ST_Intersects(c.geom_gk, s.seed_point)
     GROUP BY s.code, s.spacing, c.geom_gk
  )
  SELECT cells.code, cells.spacing, c.zone_srid, c.seat, c.area,
         ST_CollectionExtract(ST_Intersection(cells.cell, c.geom_gk), 3) AS geom_gk
    FROM cells JOIN sample_county c USING (code)
   WHERE ST_Intersects(cells.cell, c.geom_gk)`;

/**
 * $1 seed, $2/$3 rural codes and cumulative shares, $4/$5 urban ones, $6/$7 every class code
 * and name, $8 LIKE patterns of state-owned classes: the parcels with their attributes,
 * `sample_parcel`, numbered north to south, west to east within each county.
 */
export const SAMPLE_PARCEL_SQL = `CREATE TEMP TABLE sample_parcel ON COMMIT DROP AS
  WITH parcel AS (
    SELECT code AS county_code, zone_srid, spacing, geom_gk,
           row_number() OVER (PARTITION BY code ORDER BY ST_YMax(geom_gk) DESC, ST_XMin(geom_gk)) AS seq,
           pg_temp.hash01(concat_ws(':', $1::text, code, ST_AsText(ST_PointOnSurface(geom_gk)))) AS draw,
           ST_Distance(ST_PointOnSurface(geom_gk), seat) < ${URBAN_RADIUS_SHARE} * sqrt(area) AS is_urban,
           floor(ST_X(ST_PointOnSurface(geom_gk)) / ${VILLAGE_BLOCK_METRES})::bigint * 100000
             + floor(ST_Y(ST_PointOnSurface(geom_gk)) / ${VILLAGE_BLOCK_METRES})::bigint AS village_key,
           floor(ST_X(ST_PointOnSurface(geom_gk)) / ${TOWNSHIP_BLOCK_METRES})::bigint * 100000
             + floor(ST_Y(ST_PointOnSurface(geom_gk)) / ${TOWNSHIP_BLOCK_METRES})::bigint AS township_key
      FROM sample_cell
     WHERE NOT ST_IsEmpty(geom_gk)
  ), numbered AS (
    SELECT p.*,
           dense_rank() OVER (PARTITION BY county_code ORDER BY township_key) AS township_no,
           dense_rank() OVER (PARTITION BY county_code, township_key ORDER BY village_key) AS village_no,
           CASE WHEN is_urban
             THEN (SELECT u.code FROM unnest($4::text[], $5::float8[]) AS u(code, share) WHERE u.share > p.draw ORDER BY u.share LIMIT 1)
             ELSE (SELECT r.code FROM unnest($2::text[], $3::float8[]) AS r(code, share) WHERE r.share > p.draw ORDER BY r.share LIMIT 1)
           END AS dlbm
      FROM parcel p
  ), coded AS (
    SELECT n.*,
           county_code || lpad((100 + township_no)::text, 3, '0') || lpad(least(village_no, 999)::text, 3, '0') || '0000000' AS dwdm,
           (ARRAY['张','王','李','赵','刘','陈','杨','孙','马','朱','胡','郭','何','高','林','徐'])
             [1 + floor(pg_temp.hash01(county_code || township_no || ':' || village_no || 'a') * 16)::int] ||
           (ARRAY['庄','屯','楼','集','营','寨','店','堂','庙','洼','寺','官'])
             [1 + floor(pg_temp.hash01(county_code || township_no || ':' || village_no || 'b') * 12)::int] || '村' AS village_name
      FROM numbered n
  )
  SELECT county_code, zone_srid, spacing, seq, draw, is_urban,
         county_code || lpad(seq::text, 12, '0') AS bsm,
         '2001010100' AS ysdm,
         seq::text AS tbbh,
         dlbm,
         ($7::text[])[array_position($6::text[], dlbm)] AS dlmc,
         CASE WHEN dlbm LIKE ANY ($8::text[]) THEN '10' ELSE '30' END AS qsxz,
         dwdm, village_name || '民委员会' AS dwmc,
         CASE WHEN dlbm LIKE '01%' THEN '1203' END AS kcdlbm,
         CASE WHEN dlbm LIKE '01%' THEN round((0.02 + 0.04 * pg_temp.hash01(county_code || seq || 'k'))::numeric, 4)::float8 END AS kcxs,
         CASE WHEN dlbm LIKE '01%' THEN 'PD' END AS gdlx,
         2019 AS sjnf,
         geom_gk
    FROM coded`;

/** Makes `sample_county`, `sample_cell` and `sample_parcel` on the client's session; run inside a transaction. */
export async function createSampleParcels(client: PoolClient, { parcels, seed }: SampleParcelOptions): Promise<void> {
  const classes = loadSandiaoClasses();
  const rural = cumulativeShares(RURAL_CLASS_WEIGHTS);
  const urban = cumulativeShares(URBAN_CLASS_WEIGHTS);
  for (const code of [...rural.codes, ...urban.codes]) {
    if (!classes.has(code)) throw new Error(`sample weights name class ${code}, which is not in the 三调 classification`);
  }
  const classCodes = [...classes.keys()];
  const classNames = classCodes.map((code) => classes.get(code)!.name);
  await client.query(HASH01_FUNCTION_SQL);
  await client.query(COUNTY_TABLE_SQL);
  for (const outline of readCountyOutlines()) {
    await client.query(INSERT_COUNTY_SQL, [outline.code, outline.name, outline.geometryJson]);
  }
  await client.query(SAMPLE_CELL_SQL, [parcels, seed]);
  await client.query(SAMPLE_PARCEL_SQL, [seed, rural.codes, rural.cumulative, urban.codes, urban.cumulative, classCodes, classNames,
    STATE_OWNED_PREFIXES.map((prefix) => `${prefix}%`)]);
}
