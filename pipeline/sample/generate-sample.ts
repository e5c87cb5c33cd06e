import type { AppConfig } from '../../core/config/load-config.js';
import type { DatasetConfig } from '../../core/config/schema.js';
import type { AttributeColumn } from '../../core/db/dataset-layout.js';
import type { Pool, PoolClient } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import { publishFilledVersion } from '../publish/filled-version.js';
import { createSampleParcels } from '../delivery/sample-parcels.js';

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
    // The same parcels the delivery generator writes: one SQL for both (pipeline/delivery/sample-parcels.ts).
    await createSampleParcels(client, options);
    const countyResult = await publishFilledVersion(client, county, COUNTY_COLUMNS, async (table) => {
      await client.query(`INSERT INTO ${table} ("XZQDM", "XZQMC", geom)
        SELECT code, name, ST_Multi(ST_Transform(geom_gk, 4490)) FROM sample_county ORDER BY code`);
    });
    const landuseResult = await publishFilledVersion(client, landuse, LANDUSE_COLUMNS, async (table) => {
      await insertParcels(client, table);
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

/** The parcels of `sample_parcel` (see createSampleParcels) as rows of the version table. */
async function insertParcels(client: PoolClient, table: string): Promise<void> {
  await client.query(
    `INSERT INTO ${table} ("BSM", "YSDM", "TBBH", "DLBM", "DLMC", "QSXZ", "QSDWDM", "QSDWMC", "ZLDWDM", "ZLDWMC",
                           "TBMJ", "KCDLBM", "KCXS", "KCMJ", "TBDLMJ", "GDLX", "XZQDM", "SJNF", geom)
     SELECT bsm, ysdm, tbbh, dlbm, dlmc, qsxz, dwdm, dwmc, dwdm, dwmc,
            round(ST_Area(geom::geography)::numeric, 2)::float8, kcdlbm, kcxs, NULL, NULL, gdlx, county_code, sjnf, geom
       FROM (SELECT p.*, ST_Multi(ST_Transform(geom_gk, 4490)) AS geom FROM sample_parcel p WHERE NOT ST_IsEmpty(geom_gk)) p
      ORDER BY county_code, seq`,
  );
  // Deducted area (KCMJ) and net class area (TBDLMJ) follow from TBMJ and KCXS, as in 三调.
  await client.query(`UPDATE ${table} SET "KCMJ" = round(("TBMJ" * coalesce("KCXS", 0))::numeric, 2)::float8,
                                          "TBDLMJ" = round(("TBMJ" * (1 - coalesce("KCXS", 0)))::numeric, 2)::float8`);
}
