import { escapeIdentifier } from 'pg';
import { loadSandiaoClasses } from '../../core/classification/sandiao-classes.js';
import { qualifiedLiveView } from '../../core/db/dataset-layout.js';
import type { Pool } from '../../core/db/pool.js';
import { DELIVERY_SRID } from './import-delivery.js';
import { OGR_TABLE } from './gdal-side.js';

/** Parcels whose geometries are compared between the two tables. */
const GEOMETRY_SAMPLE = 2_000;
/** Parcels printed side by side. */
const EXAMPLE_COUNT = 3;

/** Did both importers load the same delivery the same way? */
export interface ImportAgreement {
  readonly pipelineRows: number;
  readonly gdalRows: number;
  /** Rows whose DLMC is the 三调 name of their DLBM: Chinese text decoded right (GBK). */
  readonly pipelineDlmcCorrect: number;
  readonly gdalDlmcCorrect: number;
  /** Parcels (joined on BSM) with DLMC, QSDWMC and ZLDWMC equal in both tables. */
  readonly textEqual: number;
  /** Largest Hausdorff distance between the two geometries of a parcel, in metres (in EPSG:4527), over a sample. */
  readonly maxGeometryDifferenceMetres: number;
  readonly examples: readonly { bsm: string; pipeline: string; gdal: string }[];
  /** Empty when the tables agree. */
  readonly problems: readonly string[];
}

/**
 * Compares what the pipeline published (live.landuse) with what ogr2ogr loaded (GDAL launders
 * column names to lower case): row counts against the delivery, the Chinese class names against
 * the 三调 classification (a wrong encoding would garble every one), the unit names parcel by
 * parcel, and the geometries of a sample within 1 mm.
 */
export async function compareImports(pool: Pool, expectedFeatures: number): Promise<ImportAgreement> {
  const live = qualifiedLiveView('landuse');
  const ogr = `public.${escapeIdentifier(OGR_TABLE)}`;
  const classes = [...loadSandiaoClasses().values()];
  const names = [classes.map((c) => c.code), classes.map((c) => c.name)];
  const dlmcCorrect = async (table: string, dlbm: string, dlmc: string) => {
    const { rows } = await pool.query<{ total: number; correct: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE t.${dlmc} = c.name)::int AS correct
         FROM ${table} t LEFT JOIN unnest($1::text[], $2::text[]) AS c(code, name) ON c.code = t.${dlbm}`,
      names,
    );
    return rows[0]!;
  };
  const pipeline = await dlmcCorrect(live, '"DLBM"', '"DLMC"');
  const gdal = await dlmcCorrect(ogr, 'dlbm', 'dlmc');
  const { rows: joined } = await pool.query<{ equal: number }>(
    `SELECT count(*)::int AS equal FROM ${live} p JOIN ${ogr} g ON g.bsm = p."BSM"
      WHERE (p."DLMC", p."QSDWMC", p."ZLDWMC") IS NOT DISTINCT FROM (g.dlmc, g.qsdwmc, g.zldwmc)`,
  );
  const { rows: geometry } = await pool.query<{ moved: number | null }>(
    `SELECT max(ST_HausdorffDistance(ST_Transform(p.geom, ${DELIVERY_SRID}), ST_Transform(g.geom, ${DELIVERY_SRID}))) AS moved
       FROM (SELECT * FROM ${live} ORDER BY fid LIMIT ${GEOMETRY_SAMPLE}) p JOIN ${ogr} g ON g.bsm = p."BSM"`,
  );
  const { rows: examples } = await pool.query<{ bsm: string; pipeline: string; gdal: string }>(
    `SELECT p."BSM" AS bsm, p."DLMC" || ' / ' || p."QSDWMC" AS pipeline, g.dlmc || ' / ' || g.qsdwmc AS gdal
       FROM ${live} p JOIN ${ogr} g ON g.bsm = p."BSM" ORDER BY p.fid LIMIT ${EXAMPLE_COUNT}`,
  );
  const agreement = {
    pipelineRows: pipeline.total,
    gdalRows: gdal.total,
    pipelineDlmcCorrect: pipeline.correct,
    gdalDlmcCorrect: gdal.correct,
    textEqual: joined[0]!.equal,
    maxGeometryDifferenceMetres: geometry[0]!.moved ?? Number.NaN,
    examples,
  };
  return { ...agreement, problems: problemsOf(agreement, expectedFeatures) };
}

function problemsOf(a: Omit<ImportAgreement, 'problems'>, expected: number): string[] {
  const problems: string[] = [];
  if (a.pipelineRows !== expected) problems.push(`live.landuse holds ${a.pipelineRows} rows, the delivery ${expected}`);
  if (a.gdalRows !== expected) problems.push(`${OGR_TABLE} holds ${a.gdalRows} rows, the delivery ${expected}`);
  if (a.pipelineDlmcCorrect !== a.pipelineRows) problems.push(`live.landuse: ${a.pipelineRows - a.pipelineDlmcCorrect} DLMC values are not the 三调 name of their DLBM`);
  if (a.gdalDlmcCorrect !== a.gdalRows) problems.push(`${OGR_TABLE}: ${a.gdalRows - a.gdalDlmcCorrect} DLMC values are not the 三调 name of their DLBM`);
  if (a.textEqual !== expected) problems.push(`${expected - a.textEqual} parcels differ in DLMC, QSDWMC or ZLDWMC between the two tables`);
  if (!(a.maxGeometryDifferenceMetres <= 0.001)) problems.push(`geometries differ by up to ${a.maxGeometryDifferenceMetres} m between the two tables`);
  return problems;
}
