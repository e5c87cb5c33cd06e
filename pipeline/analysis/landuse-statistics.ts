import { escapeIdentifier } from 'pg';
import type { AppConfig } from '../../core/config/load-config.js';
import { loadSandiaoClasses } from '../../core/classification/sandiao-classes.js';
import type { PoolClient } from '../../core/db/pool.js';
import type { LiveDataset } from './analysis-inputs.js';

/**
 * Land-use area per county and 三调 class of one land-use version, into
 * meta.stat_landuse_classes (level-1 totals are sums of these rows). Computed once per version
 * and area method: the rows are keyed by them. A parcel counts in the county of the first six
 * characters of `landuseCountyField` (the county part of the 坐落单位代码); county names come
 * from `analysis_county` (county-assignment.ts). Class names come from the classification
 * (data/reference/sandiao_classes.csv); a code outside it keeps its code and has no name.
 */
export async function computeLanduseStatistics(client: PoolClient, config: AppConfig, landuse: LiveDataset): Promise<boolean> {
  const method = config.analysis.areaMethod;
  const { rows } = await client.query('SELECT 1 FROM meta.stat_landuse_classes WHERE dataset_id = $1 AND version = $2 AND area_method = $3 LIMIT 1', [
    landuse.id,
    landuse.version,
    method,
  ]);
  if (rows.length > 0) return false;
  const classes = [...loadSandiaoClasses().values()];
  const county = escapeIdentifier(config.analysis.landuseCountyField);
  const cls = escapeIdentifier(config.analysis.classField);
  await client.query(
    `INSERT INTO meta.stat_landuse_classes (dataset_id, version, county_code, county_name, class_code, class_name, level1_code, level1_name, parcels, area_m2, area_method)
     SELECT $1, $2, s.county_code, c.name, s.class_code, k.name, coalesce(k.level1_code, left(s.class_code, 2)), l1.name, s.parcels, s.area_m2, $3
       FROM (SELECT nullif(left(${county}::text, 6), '') AS county_code, coalesce(${cls}::text, '') AS class_code,
                    count(*) AS parcels, sum(meta.area_m2(geom, $3)) AS area_m2
               FROM ${landuse.table} GROUP BY 1, 2) s
       LEFT JOIN (SELECT DISTINCT ON (code) code, name FROM analysis_county ORDER BY code, name) c ON c.code = s.county_code
       LEFT JOIN unnest($4::text[], $5::text[], $6::text[]) AS k(code, name, level1_code) ON k.code = s.class_code
       LEFT JOIN unnest($4::text[], $5::text[]) AS l1(code, name) ON l1.code = coalesce(k.level1_code, left(s.class_code, 2))`,
    [landuse.id, landuse.version, method, classes.map((c) => c.code), classes.map((c) => c.name), classes.map((c) => c.level1Code)],
  );
  return true;
}
