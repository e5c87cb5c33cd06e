import type { AppConfig } from '../../core/config/load-config.js';
import type { DatasetConfig } from '../../core/config/schema.js';
import { loadSandiaoClasses } from '../../core/classification/sandiao-classes.js';
import { qualifiedVersionTable, versionTableDdl, type AttributeColumn } from '../../core/db/dataset-layout.js';
import type { Pool, PoolClient } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import { publishVersion, pruneVersions, registerVersion, reserveVersion, upsertDataset } from '../publish/dataset-versions.js';
import { readCountyOutlines } from './county-outlines.js';
import { cumulativeShares, RURAL_CLASS_WEIGHTS, STATE_OWNED_PREFIXES, URBAN_CLASS_WEIGHTS } from './landuse-weights.js';

/**
 * Sample data that looks like a real 三调 delivery for Liaocheng: land-use parcels (DLTB) that
 * tessellate the eight real county outlines, and the county outlines themselves (XZQ).
 *
 * Parcels are Voronoi cells of a jittered, stretched grid of seeds laid out in the Gauss-Kruger
 * plane of the zone holding the county's centroid, clipped to the county, so they look like the
 * long fields of the North China Plain and cover each county without gaps or overlaps. Every
 * centroid lies east of 115.5°E, so that is zone 39 (EPSG:4527) for all eight, although 冠县 and
 * 莘县 reach into zone 38; the delivery generator (pipeline/delivery) writes those two in
 * EPSG:4526 as their real deliveries are. Everything is deterministic for a given seed.
 */
export interface SampleOptions {
  /** About this many parcels are made (the grid is fitted to the county areas). */
  readonly parcels: number;
  readonly seed: string;
}

export interface SampleResult {
  readonly landuse: { version: number; featureCount: number };
  readonly county: { version: number; featureCount: number };
}

export const LANDUSE_SAMPLE_DATASET = 'landuse';
export const COUNTY_SAMPLE_DATASET = 'county';

const LANDUSE_COLUMNS: readonly AttributeColumn[] = [
  { name: 'BSM', type: 'text' }, // 标识码
  { name: 'YSDM', type: 'text' }, // 要素代码
  { name: 'TBBH', type: 'text' }, // 图斑编号
  { name: 'DLBM', type: 'text' }, // 地类编码
  { name: 'DLMC', type: 'text' }, // 地类名称
  { name: 'QSXZ', type: 'text' }, // 权属性质
  { name: 'QSDWDM', type: 'text' }, // 权属单位代码
  { name: 'QSDWMC', type: 'text' }, // 权属单位名称
  { name: 'ZLDWDM', type: 'text' }, // 坐落单位代码
  { name: 'ZLDWMC', type: 'text' }, // 坐落单位名称
  { name: 'TBMJ', type: 'double precision' }, // 图斑面积 (m², ellipsoidal)
  { name: 'KCDLBM', type: 'text' }, // 扣除地类编码
  { name: 'KCXS', type: 'double precision' }, // 扣除地类系数
  { name: 'KCMJ', type: 'double precision' }, // 扣除地类面积
  { name: 'TBDLMJ', type: 'double precision' }, // 图斑地类面积
  { name: 'GDLX', type: 'text' }, // 耕地类型
  { name: 'XZQDM', type: 'text' }, // county code, kept for per-county access and statistics
  { name: 'SJNF', type: 'integer' }, // 数据年份
];

const COUNTY_COLUMNS: readonly AttributeColumn[] = [
  { name: 'XZQDM', type: 'text' },
  { name: 'XZQMC', type: 'text' },
];

export async function generateSample(
  pool: Pool,
  config: AppConfig,
  options: SampleOptions,
  logger: Logger,
): Promise<SampleResult> {
  const landuse = findDataset(config, LANDUSE_SAMPLE_DATASET);
  const county = findDataset(config, COUNTY_SAMPLE_DATASET);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Bulk geometry work, not a request: the pool's per-statement deadline (meant for tiles)
    // would cancel it on a busy machine.
    await client.query('SET LOCAL statement_timeout = 0');
    await createHelpers(client);
    await loadCountyOutlines(client);
    const countyResult = await writeVersion(client, county, COUNTY_COLUMNS, async (table) => {
      await client.query(`INSERT INTO ${table} ("XZQDM", "XZQMC", geom)
        SELECT code, name, ST_Multi(ST_Transform(geom_gk, 4490)) FROM sample_county ORDER BY code`);
    });
    const landuseResult = await writeVersion(client, landuse, LANDUSE_COLUMNS, async (table) => {
      await insertParcels(client, table, options);
    });
    await client.query('COMMIT');
    logger.info({ parcels: landuseResult.featureCount, seed: options.seed }, 'sample data published');
    return { landuse: landuseResult, county: countyResult };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function findDataset(config: AppConfig, id: string): DatasetConfig {
  const dataset = config.datasets.find((candidate) => candidate.id === id);
  if (!dataset) throw new Error(`${config.configFile}: the sample needs a dataset "${id}" in datasets`);
  return dataset;
}

async function writeVersion(
  client: PoolClient,
  dataset: DatasetConfig,
  columns: readonly AttributeColumn[],
  fill: (qualifiedTable: string) => Promise<void>,
): Promise<{ version: number; featureCount: number }> {
  await upsertDataset(client, dataset);
  const version = await reserveVersion(client, dataset.id);
  await client.query(versionTableDdl(dataset.id, version, columns));
  await fill(qualifiedVersionTable(dataset.id, version));
  const { featureCount } = await registerVersion(client, { datasetId: dataset.id, version, importJobId: null });
  await publishVersion(client, dataset.id, version);
  await pruneVersions(client, dataset.id, dataset.keepVersions);
  return { version, featureCount };
}

/** A deterministic uniform number in [0, 1) from a text key. */
async function createHelpers(client: PoolClient): Promise<void> {
  await client.query(`CREATE OR REPLACE FUNCTION pg_temp.hash01(key text) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$
      SELECT ('x' || substr(md5(key), 1, 12))::bit(48)::bigint / 281474976710656.0
    $$`);
}

async function loadCountyOutlines(client: PoolClient): Promise<void> {
  await client.query(`CREATE TEMP TABLE sample_county (
    code text PRIMARY KEY, name text NOT NULL, zone_srid integer, geom_gk geometry, seat geometry, area double precision
  ) ON COMMIT DROP`);
  for (const outline of readCountyOutlines()) {
    // The source outlines carry a ring self-intersection (莘县): repair before use.
    await client.query(
      `WITH src AS (
         SELECT ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON($3), 4490)), 3) AS geom
       ), zoned AS (
         SELECT geom, CASE WHEN ST_X(ST_Centroid(geom)) < 115.5 THEN 4526 ELSE 4527 END AS zone_srid FROM src
       )
       INSERT INTO sample_county (code, name, zone_srid, geom_gk, seat, area)
       SELECT $1, $2, zone_srid, ST_Transform(geom, zone_srid), ST_PointOnSurface(ST_Transform(geom, zone_srid)),
              ST_Area(ST_Transform(geom, zone_srid))
         FROM zoned`,
      [outline.code, outline.name, outline.geometryJson],
    );
  }
}

/** Seeds every `spacing` metres, stretched 1:2.5 north-south like plain fields, jittered by 35 %. */
const FIELD_ASPECT = 2.5;
const JITTER = 0.35;
/** Radius around a county seat where urban classes dominate, as a share of sqrt(county area). */
const URBAN_RADIUS_SHARE = 0.09;
/** Villages are blocks of this size; townships group villages. */
const VILLAGE_BLOCK_METRES = 2500;
const TOWNSHIP_BLOCK_METRES = 9000;

async function insertParcels(client: PoolClient, table: string, { parcels, seed }: SampleOptions): Promise<void> {
  const classes = loadSandiaoClasses();
  const rural = cumulativeShares(RURAL_CLASS_WEIGHTS);
  const urban = cumulativeShares(URBAN_CLASS_WEIGHTS);
  for (const code of [...rural.codes, ...urban.codes]) {
    if (!classes.has(code)) throw new Error(`sample weights name class ${code}, which is not in the 三调 classification`);
  }
  const classCodes = [...classes.keys()];
  const classNames = classCodes.map((code) => classes.get(code)!.name);
  await client.query(
    `CREATE TEMP TABLE sample_cell ON COMMIT DROP AS
     WITH county AS (
       SELECT *, sqrt(area / greatest(1, round($1::int * area / sum(area) OVER ()))) AS spacing FROM sample_county
     ), seeds AS (
       SELECT c.code, c.zone_srid,
              ST_SetSRID(ST_MakePoint(
                ST_XMin(c.geom_gk) + (i + 0.5 + ${JITTER} * (2 * pg_temp.hash01(concat_ws(':', $2::text, c.code, i, j, 'x')) - 1)) * c.spacing / sqrt(${FIELD_ASPECT}),
                ST_YMin(c.geom_gk) + (j + 0.5 + ${JITTER} * (2 * pg_temp.hash01(concat_ws(':', $2::text, c.code, i, j, 'y')) - 1)) * c.spacing * sqrt(${FIELD_ASPECT})
              ), c.zone_srid) AS seed_point
         FROM county c,
              generate_series(0, ceil((ST_XMax(c.geom_gk) - ST_XMin(c.geom_gk)) / (c.spacing / sqrt(${FIELD_ASPECT})))::int) AS i,
              generate_series(0, ceil((ST_YMax(c.geom_gk) - ST_YMin(c.geom_gk)) / (c.spacing * sqrt(${FIELD_ASPECT})))::int) AS j
     ), cells AS (
       SELECT s.code, (ST_Dump(ST_VoronoiPolygons(ST_Collect(s.seed_point), 0, ST_Expand(ST_Envelope(c.geom_gk), 1000)))).geom AS cell
         FROM seeds s JOIN sample_county c USING (code)
        WHERE ST_Intersects(c.geom_gk, s.seed_point)
        GROUP BY s.code, c.geom_gk
     )
     SELECT cells.code, c.zone_srid, c.seat, c.area,
            ST_CollectionExtract(ST_Intersection(cells.cell, c.geom_gk), 3) AS geom_gk
       FROM cells JOIN sample_county c USING (code)
      WHERE ST_Intersects(cells.cell, c.geom_gk)`,
    [parcels, seed],
  );
  await client.query(
    `WITH parcel AS (
       SELECT code AS county_code, geom_gk,
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
                [1 + floor(pg_temp.hash01(county_code || township_no || ':' || village_no || 'b') * 12)::int] || '村' AS village_name,
              ST_Multi(ST_Transform(geom_gk, 4490)) AS geom
         FROM numbered n
     )
     INSERT INTO ${table} ("BSM", "YSDM", "TBBH", "DLBM", "DLMC", "QSXZ", "QSDWDM", "QSDWMC", "ZLDWDM", "ZLDWMC",
                           "TBMJ", "KCDLBM", "KCXS", "KCMJ", "TBDLMJ", "GDLX", "XZQDM", "SJNF", geom)
     SELECT county_code || lpad(seq::text, 12, '0'),
            '2001010100',
            seq::text,
            dlbm,
            ($7::text[])[array_position($6::text[], dlbm)],
            CASE WHEN dlbm LIKE ANY ($8::text[]) THEN '10' ELSE '30' END,
            dwdm, village_name || '民委员会', dwdm, village_name || '民委员会',
            round(ST_Area(geom::geography)::numeric, 2)::float8,
            CASE WHEN dlbm LIKE '01%' THEN '1203' END,
            CASE WHEN dlbm LIKE '01%' THEN round((0.02 + 0.04 * pg_temp.hash01(county_code || seq || 'k'))::numeric, 4)::float8 END,
            NULL, NULL,
            CASE WHEN dlbm LIKE '01%' THEN 'PD' END,
            county_code, 2019, geom
       FROM coded
      ORDER BY county_code, seq`,
    [seed, rural.codes, rural.cumulative, urban.codes, urban.cumulative, classCodes, classNames,
      STATE_OWNED_PREFIXES.map((prefix) => `${prefix}%`)],
  );
  // Deducted area (KCMJ) and net class area (TBDLMJ) follow from TBMJ and KCXS, as in 三调.
  await client.query(`UPDATE ${table} SET "KCMJ" = round(("TBMJ" * coalesce("KCXS", 0))::numeric, 2)::float8,
                                          "TBDLMJ" = round(("TBMJ" * (1 - coalesce("KCXS", 0)))::numeric, 2)::float8`);
}
