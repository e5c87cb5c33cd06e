import type { AppConfig } from '../../core/config/load-config.js';
import { qualifiedVersionTable } from '../../core/db/dataset-layout.js';
import type { Pool } from '../../core/db/pool.js';
import { NotFoundError } from '../../core/errors.js';
import { conflictInputIds, ROLE_NAMES, sameVersions, type ControlLineRole } from './analysis-inputs.js';
import { CONFLICT_NAMES } from './conflict-checks.js';
import type { ConflictType } from '../../core/config/analysis-schema.js';

/**
 * Reading the precomputed statistics of the latest analysis run (for the admin endpoints):
 * cheap queries over small tables. Every answer says which source versions it came from and
 * whether those are still the live ones (`stale`: a recompute is pending or failed).
 */
export interface AnalysisRunInfo {
  readonly runId: number;
  readonly inputs: Readonly<Record<string, number>>;
  readonly areaMethod: string;
  readonly finishedAt: Date;
  readonly conflictsVersion: number | null;
  readonly stale: boolean;
}

export interface LanduseClassRow {
  readonly countyCode: string | null;
  readonly countyName: string | null;
  readonly classCode: string;
  readonly className: string | null;
  readonly level1Code: string;
  readonly level1Name: string | null;
  readonly parcels: number;
  readonly areaM2: number;
}

export interface ControlLineRow {
  readonly countyCode: string | null;
  readonly countyName: string | null;
  readonly role: ControlLineRole;
  readonly roleName: string;
  readonly datasets: readonly string[];
  readonly features: number;
  readonly areaM2: number;
}

export interface ConflictRow {
  readonly countyCode: string | null;
  readonly countyName: string | null;
  readonly conflictType: ConflictType;
  readonly typeName: string;
  readonly features: number;
  readonly areaM2: number;
  readonly slivers: number;
  readonly sliverAreaM2: number;
}

export interface SliverRow {
  readonly fid: number;
  readonly conflictType: ConflictType;
  readonly typeName: string;
  readonly aDataset: string;
  readonly aKey: string | null;
  readonly bDataset: string | null;
  readonly bKey: string | null;
  readonly classCode: string | null;
  readonly countyCode: string | null;
  readonly countyName: string | null;
  readonly areaM2: number;
}

/** The latest finished conflicts run; NotFoundError when nothing has been analysed yet. */
export async function latestRun(pool: Pool, config: AppConfig): Promise<AnalysisRunInfo> {
  const { rows } = await pool.query<{ id: string; inputs: Record<string, number>; area_method: string; finished_at: Date; output_version: number | null }>(
    `SELECT id, inputs, area_method, finished_at, output_version FROM meta.analysis_runs
      WHERE kind = 'conflicts' AND subject = $1 AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`,
    [config.analysis.conflictsDataset],
  );
  const run = rows[0];
  if (!run) throw new NotFoundError(`no statistics yet: none of ${conflictInputIds(config).join(', ')} has been analysed since it was published`);
  const { rows: live } = await pool.query<{ id: string; live_version: number }>(
    'SELECT id, live_version FROM meta.datasets WHERE id = ANY ($1) AND live_version IS NOT NULL',
    [conflictInputIds(config)],
  );
  const liveVersions = Object.fromEntries(live.map((row) => [row.id, row.live_version]));
  return {
    runId: Number(run.id),
    inputs: run.inputs,
    areaMethod: run.area_method,
    finishedAt: run.finished_at,
    conflictsVersion: run.output_version,
    stale: !sameVersions(run.inputs, liveVersions) || run.area_method !== config.analysis.areaMethod,
  };
}

/** County codes the run knows (from any of its statistics), to tell an unknown county (404) from one without rows. */
export async function knownCounties(pool: Pool, config: AppConfig, run: AnalysisRunInfo): Promise<Set<string>> {
  const landuseVersion = run.inputs[config.analysis.landuse] ?? null;
  const { rows } = await pool.query<{ county_code: string }>(
    `SELECT county_code FROM meta.stat_landuse_classes WHERE dataset_id = $1 AND version = $2 AND area_method = $4 AND county_code IS NOT NULL
     UNION SELECT county_code FROM meta.stat_control_lines WHERE run_id = $3 AND county_code IS NOT NULL
     UNION SELECT county_code FROM meta.stat_conflicts WHERE run_id = $3 AND county_code IS NOT NULL`,
    [config.analysis.landuse, landuseVersion, run.runId, run.areaMethod],
  );
  return new Set(rows.map((row) => row.county_code));
}

export async function readLanduseClasses(pool: Pool, config: AppConfig, run: AnalysisRunInfo, county: string | null): Promise<LanduseClassRow[]> {
  const version = run.inputs[config.analysis.landuse];
  if (version === undefined) throw new NotFoundError(`dataset "${config.analysis.landuse}" had no published version when the statistics were computed`);
  const { rows } = await pool.query<{ county_code: string | null; county_name: string | null; class_code: string; class_name: string | null; level1_code: string; level1_name: string | null; parcels: string; area_m2: number }>(
    `SELECT county_code, county_name, class_code, class_name, level1_code, level1_name, parcels, area_m2
       FROM meta.stat_landuse_classes
      WHERE dataset_id = $1 AND version = $2 AND area_method = $3 AND ($4::text IS NULL OR county_code = $4)
      ORDER BY county_code NULLS LAST, class_code`,
    [config.analysis.landuse, version, run.areaMethod, county],
  );
  return rows.map((row) => ({
    countyCode: row.county_code,
    countyName: row.county_name,
    classCode: row.class_code,
    className: row.class_name,
    level1Code: row.level1_code,
    level1Name: row.level1_name,
    parcels: Number(row.parcels),
    areaM2: row.area_m2,
  }));
}

export async function readControlLines(pool: Pool, run: AnalysisRunInfo, county: string | null): Promise<ControlLineRow[]> {
  const { rows } = await pool.query<{ county_code: string | null; county_name: string | null; role: ControlLineRole; datasets: string[]; features: string; area_m2: number }>(
    `SELECT county_code, county_name, role, datasets, features, area_m2 FROM meta.stat_control_lines
      WHERE run_id = $1 AND ($2::text IS NULL OR county_code = $2)
      ORDER BY county_code NULLS LAST, array_position(ARRAY['red_line', 'basic_farmland', 'development_boundary'], role)`,
    [run.runId, county],
  );
  return rows.map((row) => ({
    countyCode: row.county_code,
    countyName: row.county_name,
    role: row.role,
    roleName: ROLE_NAMES[row.role],
    datasets: row.datasets,
    features: Number(row.features),
    areaM2: row.area_m2,
  }));
}

export async function readConflicts(pool: Pool, run: AnalysisRunInfo, county: string | null): Promise<ConflictRow[]> {
  const { rows } = await pool.query<{ county_code: string | null; county_name: string | null; conflict_type: ConflictType; features: string; area_m2: number; slivers: string; sliver_area_m2: number }>(
    `SELECT county_code, county_name, conflict_type, features, area_m2, slivers, sliver_area_m2 FROM meta.stat_conflicts
      WHERE run_id = $1 AND ($2::text IS NULL OR county_code = $2)
      ORDER BY county_code NULLS LAST, array_position($3::text[], conflict_type)`,
    [run.runId, county, Object.keys(CONFLICT_NAMES)],
  );
  return rows.map((row) => ({
    countyCode: row.county_code,
    countyName: row.county_name,
    conflictType: row.conflict_type,
    typeName: CONFLICT_NAMES[row.conflict_type],
    features: Number(row.features),
    areaM2: row.area_m2,
    slivers: Number(row.slivers),
    sliverAreaM2: row.sliver_area_m2,
  }));
}

/** The sliver pieces of the run's conflicts version (listed, never hidden), smallest last. */
export async function readSlivers(pool: Pool, config: AppConfig, run: AnalysisRunInfo, county: string | null, limit: number): Promise<SliverRow[]> {
  if (run.conflictsVersion === null) return [];
  const table = qualifiedVersionTable(config.analysis.conflictsDataset, run.conflictsVersion);
  const { rows } = await pool.query<{ fid: string; conflict_type: ConflictType; a_dataset: string; a_key: string | null; b_dataset: string | null; b_key: string | null; class_code: string | null; county_code: string | null; county_name: string | null; area_m2: number }>(
    `SELECT fid, conflict_type, a_dataset, a_key, b_dataset, b_key, class_code, county_code, county_name, area_m2
       FROM ${table} WHERE is_sliver AND ($1::text IS NULL OR county_code = $1)
      ORDER BY county_code NULLS LAST, conflict_type, area_m2 DESC, fid LIMIT $2`,
    [county, limit],
  ).catch((error: unknown) => {
    // The version may have been pruned by a later run since `run` was read.
    if ((error as { code?: string }).code === '42P01') throw new NotFoundError(`conflicts version ${run.conflictsVersion} no longer exists; ask again`);
    throw error;
  });
  return rows.map((row) => ({
    fid: Number(row.fid),
    conflictType: row.conflict_type,
    typeName: CONFLICT_NAMES[row.conflict_type],
    aDataset: row.a_dataset,
    aKey: row.a_key,
    bDataset: row.b_dataset,
    bKey: row.b_key,
    classCode: row.class_code,
    countyCode: row.county_code,
    countyName: row.county_name,
    areaM2: row.area_m2,
  }));
}
