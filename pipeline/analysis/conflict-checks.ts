import { escapeIdentifier } from 'pg';
import type { AppConfig } from '../../core/config/load-config.js';
import type { ConflictType } from '../../core/config/analysis-schema.js';
import type { AnalysisInputs, ControlLineRole, LiveDataset } from './analysis-inputs.js';

/**
 * The conflicts the 三区三线 assessment looks for, each an INSERT into `analysis_piece` (made by
 * compute-conflicts.ts). Pairs of control lines are intersected feature by feature; the land-use
 * checks intersect (or subtract) parcels of chosen classes with a control line. Every statement
 * reads the version tables the run started with, and the control lines from `analysis_line`.
 */
export const CONFLICT_NAMES: Readonly<Record<ConflictType, string>> = {
  red_line_farmland: '生态保护红线与永久基本农田重叠',
  farmland_development: '永久基本农田与城镇开发边界重叠',
  red_line_development: '生态保护红线与城镇开发边界重叠',
  built_up_in_red_line: '生态保护红线内建设用地',
  farmland_outside_basic_farmland: '永久基本农田外耕地',
  non_farmland_in_basic_farmland: '永久基本农田内非耕地',
};

/** The control lines of the pairwise checks, in (a, b) order. */
const LINE_PAIRS: Partial<Readonly<Record<ConflictType, readonly [ControlLineRole, ControlLineRole]>>> = {
  red_line_farmland: ['red_line', 'basic_farmland'],
  farmland_development: ['basic_farmland', 'development_boundary'],
  red_line_development: ['red_line', 'development_boundary'],
};

/** The control line each land-use check reads. */
const LANDUSE_LINE: Partial<Readonly<Record<ConflictType, ControlLineRole>>> = {
  built_up_in_red_line: 'red_line',
  farmland_outside_basic_farmland: 'basic_farmland',
  non_farmland_in_basic_farmland: 'basic_farmland',
};

export interface PlannedCheck {
  readonly type: ConflictType;
  readonly sql: string;
  readonly values: readonly unknown[];
}

export interface SkippedCheck {
  readonly type: ConflictType;
  readonly reason: string;
}

const PIECE_COLUMNS = 'conflict_type, a_dataset, a_key, b_dataset, b_key, class_code, geom';
/**
 * Overlays run in the Gauss-Kruger plane, snap-rounded to `analysis.overlayGridM` (given as the
 * parameter `grid`; meta.overlay_in_zone, migration 004); touching outlines give empty pieces, dropped later.
 */
const intersection = (a: string, b: string, grid: string) => `meta.overlay_in_zone(${a}, ${b}, false, ${grid}::float8)`;
const difference = (a: string, b: string, grid: string) => `meta.overlay_in_zone(${a}, ${b}, true, ${grid}::float8)`;

/** The statements of the configured checks whose inputs are published, and why the others cannot run. */
export function planConflictChecks(config: AppConfig, inputs: AnalysisInputs): { planned: PlannedCheck[]; skipped: SkippedCheck[] } {
  const planned: PlannedCheck[] = [];
  const skipped: SkippedCheck[] = [];
  for (const type of config.analysis.checks) {
    const missing = requiredRoles(type).filter((role) => inputs.roles[role].length === 0);
    if (missing.length > 0) {
      skipped.push({ type, reason: `no published dataset for ${missing.join(', ')}` });
      continue;
    }
    const pair = LINE_PAIRS[type];
    if (pair) {
      planned.push({ type, sql: linePairSql(), values: [type, pair[0], pair[1], config.analysis.overlayGridM] });
      continue;
    }
    if (!inputs.landuse) {
      skipped.push({ type, reason: `dataset "${config.analysis.landuse}" has no published version` });
      continue;
    }
    planned.push(landuseCheck(config, inputs.landuse, type));
  }
  return { planned, skipped };
}

function requiredRoles(type: ConflictType): ControlLineRole[] {
  const pair = LINE_PAIRS[type];
  return pair ? [...pair] : [LANDUSE_LINE[type]!];
}

/** $1 type, $2 role a, $3 role b, $4 overlay grid. */
function linePairSql(): string {
  return `INSERT INTO analysis_piece (${PIECE_COLUMNS})
    SELECT $1, a.dataset, a.key, b.dataset, b.key, NULL, ${intersection('a.geom', 'b.geom', '$4')}
      FROM analysis_line a JOIN analysis_line b ON ST_Intersects(a.geom, b.geom)
     WHERE a.role = $2 AND b.role = $3`;
}

function landuseCheck(config: AppConfig, landuse: LiveDataset, type: ConflictType): PlannedCheck {
  const { analysis } = config;
  const key = landuse.keyField ? `p.${escapeIdentifier(landuse.keyField)}::text` : 'p.fid::text';
  const cls = `p.${escapeIdentifier(analysis.classField)}`;
  const patterns = (prefixes: readonly string[]) => prefixes.map((prefix) => `${prefix}%`);
  const role = LANDUSE_LINE[type]!;
  if (type === 'farmland_outside_basic_farmland') {
    // The part of each farmland parcel that no basic-farmland feature covers: the whole parcel
    // when none touches it.
    return {
      type,
      values: [type, landuse.id, role, patterns(analysis.farmlandClasses), analysis.overlayGridM],
      sql: `INSERT INTO analysis_piece (${PIECE_COLUMNS})
        SELECT $1, $2, k.key, NULL, NULL, k.class_code,
               CASE WHEN k.cover IS NULL THEN ST_Multi(k.geom) ELSE ${difference('k.geom', 'k.cover', '$5')} END
          FROM (SELECT ${key} AS key, ${cls}::text AS class_code, p.geom,
                       (SELECT ST_Union(l.geom) FROM analysis_line l WHERE l.role = $3 AND ST_Intersects(l.geom, p.geom)) AS cover
                  FROM ${landuse.table} p WHERE ${cls} LIKE ANY ($4::text[])) k`,
    };
  }
  const inClasses = type === 'built_up_in_red_line' ? `${cls} LIKE ANY ($4::text[])` : `NOT coalesce(${cls} LIKE ANY ($4::text[]), false)`;
  const prefixes = type === 'built_up_in_red_line' ? analysis.builtUpClasses : analysis.farmlandClasses;
  return {
    type,
    values: [type, landuse.id, role, patterns(prefixes), analysis.overlayGridM],
    sql: `INSERT INTO analysis_piece (${PIECE_COLUMNS})
      SELECT $1, $2, ${key}, l.dataset, l.key, ${cls}::text, ${intersection('p.geom', 'l.geom', '$5')}
        FROM ${landuse.table} p JOIN analysis_line l ON l.role = $3 AND ST_Intersects(p.geom, l.geom)
       WHERE ${inClasses}`,
  };
}
