import { escapeLiteral as literal } from 'pg';
import type { DatasetConfig } from '../../core/config/schema.js';
import { loadSandiaoClasses } from '../../core/classification/sandiao-classes.js';
import { qualifiedLiveView } from '../../core/db/dataset-layout.js';
import type { Pool, PoolClient } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import { runInLanes } from './check-lanes.js';
import { levelOf, type QaExample, type QaFinding, type QaReport, type QaRule } from './qa-report.js';

/** Examples kept per finding. */
const MAX_EXAMPLES = 20;
/** Features sampled for the precision round-trip. */
const PRECISION_SAMPLE = 2000;
/** Tolerance of the round-trip to the source CRS, metres (1 mm). */
const ROUND_TRIP_TOLERANCE_M = 0.001;
/**
 * Connections the checks run on at once when the caller lends its pool: the database then
 * uses that many CPUs (the checks are independent reads of the committed work table).
 */
const QA_LANES = 2;
/**
 * Session settings for a check marked `isHeavy`: with PostgreSQL's defaults (setup cost 1000,
 * tuple cost 0.1) the GiST self-join of the overlap check runs on one process, though it is
 * CPU-bound for seconds; one worker beside the leader takes a second CPU.
 */
const PARALLEL_SETTINGS = ['max_parallel_workers_per_gather = 1', 'parallel_setup_cost = 10', 'parallel_tuple_cost = 0.001'];

interface CheckRow {
  source_file: string;
  feature_index: number;
  detail: string;
}

/**
 * Each check is one query over the work table (pipeline/load/prepare-geometries.ts: geometries
 * in the source CRS and EPSG:4490, `area_m2` on the ellipsoid) returning the features
 * concerned with a short detail; the runner counts them, keeps a few examples and applies the
 * configured level.
 */
interface Check {
  readonly rule: QaRule;
  /** Skip when the data cannot be checked (e.g. no key field in the delivery). */
  readonly applies: (columns: ReadonlySet<string>) => boolean;
  readonly sql: (work: string) => string;
  readonly params?: () => unknown[];
  readonly message: (count: number) => string;
  /** Started first and allowed parallel workers (PARALLEL_SETTINGS): it takes most of the QA time. */
  readonly isHeavy?: boolean;
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
        FROM (SELECT source_file, feature_index, (${prop(qa.areaField)})::float8 AS declared, area_m2 AS computed
                FROM ${work} WHERE geom IS NOT NULL) areas
       WHERE declared IS NULL OR abs(declared - computed) > $1::float8 * greatest(computed, 1)`,
      params: () => [qa.areaToleranceShare],
      message: (count) => `${count} feature(s) declare an area (${qa.areaField}) more than ${qa.areaToleranceShare * 100} % off the ellipsoidal area`,
    },
    {
      rule: 'slivers',
      applies: () => true,
      sql: (work) => `SELECT source_file, feature_index, format('%s m²', round(area_m2::numeric, 3)) AS detail
        FROM ${work} WHERE geom IS NOT NULL AND area_m2 < $1::float8`,
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
      isHeavy: true,
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

export interface QaRunOptions {
  readonly featuresRead: number;
  /** Findings made before the work table (coordinate checks), reported first. */
  readonly extraFindings?: readonly QaFinding[];
  readonly boundaryDatasetId?: string | null;
  /**
   * With a pool (and a logger for its connections) the checks run on QA_LANES connections at
   * once, `client` being one of them; without, one after the other on `client`.
   */
  readonly pool?: Pool;
  readonly logger?: Logger;
}

/** Runs every enabled check on the work table and builds the report; findings in the order of checksFor. */
export async function runQaChecks(
  client: PoolClient,
  work: string,
  dataset: DatasetConfig,
  { featuresRead, extraFindings = [], boundaryDatasetId = null, pool, logger }: QaRunOptions,
): Promise<QaReport> {
  const { rows: columnRows } = await client.query<{ key: string }>(`SELECT DISTINCT jsonb_object_keys(properties) AS key FROM ${work}`);
  const columns = new Set(columnRows.map((row) => row.key));
  const checks = checksFor(dataset, await liveBoundary(client, boundaryDatasetId))
    .filter((check) => levelOf(dataset.qa, check.rule) !== 'off' && check.applies(columns));
  // The heavy check starts first, so that the others run beside it rather than after it.
  const started = [...checks.filter((check) => check.isHeavy), ...checks.filter((check) => !check.isHeavy)];
  const tasks = started.map((check) => (lane: PoolClient) => runCheck(lane, work, dataset, check));
  const found = await runInLanes(client, pool ?? null, pool ? QA_LANES : 1, logger ?? null, tasks);
  const findings: QaFinding[] = [...extraFindings];
  for (const check of checks) {
    const finding = found[started.indexOf(check)];
    if (finding) findings.push(finding);
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

/** One check's finding (count, first examples), or null when it finds nothing. */
async function runCheck(client: PoolClient, work: string, dataset: DatasetConfig, check: Check): Promise<QaFinding | null> {
  const level = levelOf(dataset.qa, check.rule);
  if (level === 'off') return null;
  if (check.isHeavy) for (const setting of PARALLEL_SETTINGS) await client.query(`SET ${setting}`);
  // A heavy check's query is fenced (OFFSET 0): flattened, the planner keeps the join in the
  // order of the examples' sort (a Gather Merge under the join), so no worker joins. `detail`
  // breaks ties (a feature overlapping two others): rows from parallel workers come in any order.
  const { rows } = await client.query<CheckRow & { total: string }>(
    `SELECT source_file, feature_index, detail, count(*) OVER () AS total
       FROM (${check.sql(work)}${check.isHeavy ? ' OFFSET 0' : ''}) found ORDER BY source_file, feature_index, detail LIMIT ${MAX_EXAMPLES}`,
    check.params?.() ?? [],
  );
  // Not restored after a failure: the import fails, and withClient discards a failed connection.
  if (check.isHeavy) for (const setting of PARALLEL_SETTINGS) await client.query(`RESET ${setting.split(' ')[0]}`);
  if (rows.length === 0) return null;
  const count = Number(rows[0]!.total);
  const examples: QaExample[] = rows.map((row) => ({ file: row.source_file, feature: row.feature_index, detail: row.detail }));
  return { rule: check.rule, level, count, message: check.message(count), examples };
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
