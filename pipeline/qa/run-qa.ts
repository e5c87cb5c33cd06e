import { escapeLiteral as literal } from 'pg';
import type { DatasetConfig } from '../../core/config/schema.js';
import { loadSandiaoClasses } from '../../core/classification/sandiao-classes.js';
import { qualifiedLiveView } from '../../core/db/dataset-layout.js';
import type { PoolClient } from '../../core/db/pool.js';
import { levelOf, type QaExample, type QaFinding, type QaReport, type QaRule } from './qa-report.js';

/** Examples kept per finding. */
const MAX_EXAMPLES = 20;
/** Features sampled for the precision round-trip. */
const PRECISION_SAMPLE = 2000;
/** Tolerance of the round-trip to the source CRS, metres (1 mm). */
const ROUND_TRIP_TOLERANCE_M = 0.001;

interface CheckRow {
  source_file: string;
  feature_index: number;
  detail: string;
}

/**
 * Each check is one query over the work table returning the features concerned with a short
 * detail; the runner counts them, keeps a few examples and applies the configured level.
 */
interface Check {
  readonly rule: QaRule;
  /** Skip when the data cannot be checked (e.g. no key field in the delivery). */
  readonly applies: (columns: ReadonlySet<string>) => boolean;
  readonly sql: (work: string) => string;
  readonly params?: () => unknown[];
  readonly message: (count: number) => string;
}

/**
 * `boundary` is the live view of the county outlines (an `admin_boundary` dataset with XZQDM,
 * XZQMC), or null when none is published: the county check then does not apply.
 */
function checksFor(dataset: DatasetConfig, boundary: string | null): Check[] {
  const { qa } = dataset;
  const prop = (name: string) => `(properties->>${literal(name)})`;
  return [
    {
      rule: 'rejectedFeatures',
      applies: () => true,
      sql: (work) => `SELECT source_file, feature_index,
          CASE WHEN geom_src IS NULL THEN 'no geometry' WHEN ST_IsEmpty(geom_src) THEN 'empty geometry'
               ELSE 'no polygon left after repair: ' || ST_IsValidReason(geom_src) END AS detail
        FROM ${work} WHERE geom IS NULL`,
      message: (count) => `${count} feature(s) have no usable polygon and were not loaded`,
    },
    {
      rule: 'repairedGeometries',
      applies: () => true,
      sql: (work) => `SELECT source_file, feature_index, ST_IsValidReason(geom_src) AS detail FROM ${work} WHERE was_invalid AND geom IS NOT NULL`,
      message: (count) => `${count} invalid geometr(y/ies) repaired with ST_MakeValid`,
    },
    {
      rule: 'duplicateKeys',
      applies: (columns) => columns.has(qa.keyField),
      sql: (work) => `SELECT source_file, feature_index, ${literal(qa.keyField)} || ' ' || key || ' also in ' || others AS detail
        FROM (SELECT source_file, feature_index, ${prop(qa.keyField)} AS key,
                     count(*) OVER (PARTITION BY ${prop(qa.keyField)}) AS n,
                     string_agg(source_file || '#' || feature_index, ', ') OVER (PARTITION BY ${prop(qa.keyField)}) AS others
                FROM ${work} WHERE ${prop(qa.keyField)} IS NOT NULL) keyed
       WHERE n > 1`,
      message: (count) => `${count} feature(s) share their ${qa.keyField} with another feature`,
    },
    {
      rule: 'unknownClassCodes',
      applies: (columns) => dataset.kind === 'landuse' && columns.has(qa.classField),
      sql: (work) => `SELECT source_file, feature_index, ${literal(qa.classField)} || ' "' || coalesce(${prop(qa.classField)}, '(null)') || '" is not a 三调 class' AS detail
        FROM ${work} WHERE ${prop(qa.classField)} IS NULL OR NOT (${prop(qa.classField)} = ANY ($1::text[]))`,
      params: () => [[...loadSandiaoClasses().keys()]],
      message: (count) => `${count} feature(s) have a class code outside the 三调 classification (TD/T 1055-2019)`,
    },
    {
      rule: 'areaMismatch',
      applies: (columns) => columns.has(qa.areaField),
      sql: (work) => `SELECT source_file, feature_index,
          format('%s %s m², on the ellipsoid %s m²', ${literal(qa.areaField)}, declared, round(computed::numeric, 2)) AS detail
        FROM (SELECT source_file, feature_index, (${prop(qa.areaField)})::float8 AS declared, ST_Area(geom::geography) AS computed
                FROM ${work} WHERE geom IS NOT NULL) areas
       WHERE declared IS NULL OR abs(declared - computed) > $1::float8 * greatest(computed, 1)`,
      params: () => [qa.areaToleranceShare],
      message: (count) => `${count} feature(s) declare an area (${qa.areaField}) more than ${qa.areaToleranceShare * 100} % off the ellipsoidal area`,
    },
    {
      rule: 'slivers',
      applies: () => true,
      sql: (work) => `SELECT source_file, feature_index, format('%s m²', round(ST_Area(geom::geography)::numeric, 3)) AS detail
        FROM ${work} WHERE geom IS NOT NULL AND ST_Area(geom::geography) < $1::float8`,
      params: () => [qa.sliverAreaM2],
      message: (count) => `${count} feature(s) are smaller than the minimum mapping unit of ${qa.sliverAreaM2} m²`,
    },
    {
      rule: 'overlaps',
      applies: () => true,
      sql: (work) => `SELECT a.source_file, a.feature_index,
          format('overlaps %s feature %s by %s m²', b.source_file, b.feature_index, round(ST_Area(ST_Intersection(a.geom, b.geom)::geography)::numeric, 3)) AS detail
        FROM ${work} a JOIN ${work} b
          ON a.geom && b.geom AND (a.source_file, a.feature_index) < (b.source_file, b.feature_index)
       WHERE ST_Relate(a.geom, b.geom, '2********') AND ST_Area(ST_Intersection(a.geom, b.geom)::geography) > $1::float8`,
      params: () => [qa.overlapMinAreaM2],
      message: (count) => `${count} feature(s) overlap another feature of the delivery by more than ${qa.overlapMinAreaM2} m²`,
    },
    {
      rule: 'outsideCounty',
      applies: () => boundary !== null,
      // The outlines are unioned once; ST_Covers with the union as its FIRST argument uses
      // PostGIS's prepared-geometry cache (ST_CoveredBy(w, union) does not in PostGIS 3.3: 14.7 s
      // against 0.23 s per 100,000 parcels), so only features reaching outside pay for the
      // difference and its area.
      sql: (work) => `WITH scope AS MATERIALIZED (
          SELECT ST_Union(geom) AS geom, ${dataset.countyCode ? `coalesce(min("XZQMC"), 'county ${dataset.countyCode}')` : `'any county'`} AS name
            FROM ${boundary ?? 'live.county'} ${dataset.countyCode ? `WHERE "XZQDM" = ${literal(dataset.countyCode)}` : ''})
        SELECT source_file, feature_index, format('%s m² outside %s', round(outside_m2::numeric, 2), name) AS detail
          FROM (SELECT w.source_file, w.feature_index, s.name,
                       CASE WHEN s.geom IS NULL THEN ST_Area(w.geom::geography)
                            ELSE ST_Area(ST_Difference(w.geom, s.geom)::geography) END AS outside_m2
                  FROM ${work} w CROSS JOIN scope s
                 WHERE w.geom IS NOT NULL AND (s.geom IS NULL OR NOT ST_Covers(s.geom, w.geom))) outside
         WHERE outside_m2 > $1::float8`,
      params: () => [qa.outsideToleranceM2],
      message: (count) => `${count} feature(s) reach outside ${dataset.countyCode ? `county ${dataset.countyCode}` : 'the county outlines'} by more than ${qa.outsideToleranceM2} m²`,
    },
    {
      rule: 'precisionLoss',
      applies: () => true,
      sql: (work) => `SELECT source_file, feature_index, format('moves %s m in EPSG:%s', round(moved::numeric, 6), source_srid) AS detail
        FROM (SELECT source_file, feature_index, source_srid,
                     ST_HausdorffDistance(ST_Transform(geom, source_srid), geom_fixed) AS moved
                FROM ${work} WHERE geom IS NOT NULL AND NOT was_invalid
               ORDER BY feature_index LIMIT ${PRECISION_SAMPLE}) sample
       WHERE moved > ${ROUND_TRIP_TOLERANCE_M}`,
      message: (count) => `${count} sampled feature(s) do not read back in their source CRS within 1 mm`,
    },
  ];
}

/** Runs every enabled check on the work table and builds the report. */
export async function runQaChecks(
  client: PoolClient,
  work: string,
  dataset: DatasetConfig,
  { featuresRead, extraFindings = [], boundaryDatasetId = null }: { featuresRead: number; extraFindings?: readonly QaFinding[]; boundaryDatasetId?: string | null },
): Promise<QaReport> {
  const { rows: columnRows } = await client.query<{ key: string }>(`SELECT DISTINCT jsonb_object_keys(properties) AS key FROM ${work}`);
  const columns = new Set(columnRows.map((row) => row.key));
  const findings: QaFinding[] = [...extraFindings];
  for (const check of checksFor(dataset, await liveBoundary(client, boundaryDatasetId))) {
    const level = levelOf(dataset.qa, check.rule);
    if (level === 'off' || !check.applies(columns)) continue;
    const { rows } = await client.query<CheckRow & { total: string }>(
      `SELECT source_file, feature_index, detail, count(*) OVER () AS total
         FROM (${check.sql(work)}) found ORDER BY source_file, feature_index LIMIT ${MAX_EXAMPLES}`,
      check.params?.() ?? [],
    );
    if (rows.length === 0) continue;
    const count = Number(rows[0]!.total);
    const examples: QaExample[] = rows.map((row) => ({ file: row.source_file, feature: row.feature_index, detail: row.detail }));
    findings.push({ rule: check.rule, level, count, message: check.message(count), examples });
  }
  const { rows } = await client.query<{ loaded: string }>(`SELECT count(*) AS loaded FROM ${work} WHERE geom IS NOT NULL`);
  const featuresLoaded = Number(rows[0]!.loaded);
  return {
    featuresRead,
    featuresLoaded,
    featuresRejected: featuresRead - featuresLoaded,
    findings,
    passed: findings.every((finding) => finding.level !== 'fail'),
  };
}

/** The live view of the county outlines when it is published and has XZQDM and XZQMC, else null. */
async function liveBoundary(client: PoolClient, datasetId: string | null): Promise<string | null> {
  if (!datasetId) return null;
  const { rows } = await client.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM information_schema.columns
      WHERE table_schema = 'live' AND table_name = $1 AND column_name IN ('XZQDM', 'XZQMC', 'geom')`,
    [datasetId],
  );
  return rows[0]!.count === 3 ? qualifiedLiveView(datasetId) : null;
}
