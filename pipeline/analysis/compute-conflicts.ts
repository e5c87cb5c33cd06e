import { escapeIdentifier } from 'pg';
import type { AppConfig } from '../../core/config/load-config.js';
import type { ConflictType } from '../../core/config/analysis-schema.js';
import type { AttributeColumn } from '../../core/db/dataset-layout.js';
import type { PoolClient } from '../../core/db/pool.js';
import { CONTROL_LINE_ROLES, type AnalysisInputs } from './analysis-inputs.js';
import { assignCounties, createCountyTable } from './county-assignment.js';
import { CONFLICT_NAMES, planConflictChecks, type SkippedCheck } from './conflict-checks.js';
import { hectaresSql, muSql } from './area-units.js';

/**
 * The conflicts of one run, in session temp tables of the caller's transaction:
 * `analysis_line` (every control-line feature, by role), `analysis_piece` (one row per overlap
 * of two features, or per uncovered part of a parcel), each with its county and area. Then the
 * control-line and conflict statistics of the run. Pieces are never dropped for being small:
 * those under `sliverAreaM2` are flagged (`is_sliver`) and counted apart.
 */
export interface ConflictTypeSummary {
  readonly features: number;
  readonly areaM2: number;
  readonly slivers: number;
  readonly sliverAreaM2: number;
}

export interface ConflictSummary {
  readonly byType: Partial<Record<ConflictType, ConflictTypeSummary>>;
  readonly skipped: readonly SkippedCheck[];
  /** True when at least one check ran, so that the conflicts layer means something. */
  readonly checked: boolean;
}

export async function computeConflicts(client: PoolClient, config: AppConfig, inputs: AnalysisInputs, runId: number): Promise<ConflictSummary> {
  const method = config.analysis.areaMethod;
  await createCountyTable(client, config, inputs.boundary);
  await createLineTable(client, inputs);
  await assignCounties(client, 'analysis_line');
  await client.query('UPDATE analysis_line SET area_m2 = meta.area_m2(geom, $1)', [method]);
  await client.query(
    `INSERT INTO meta.stat_control_lines (run_id, role, datasets, county_code, county_name, features, area_m2)
     SELECT $1, role, array_agg(DISTINCT dataset ORDER BY dataset), county_code, county_name, count(*), sum(area_m2)
       FROM analysis_line GROUP BY role, county_code, county_name`,
    [runId],
  );

  await client.query(`CREATE TEMP TABLE analysis_piece (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, conflict_type text NOT NULL,
      a_dataset text NOT NULL, a_key text, b_dataset text, b_key text, class_code text,
      geom geometry(MultiPolygon, 4490), county_code text, county_name text, area_m2 double precision, is_sliver boolean
    ) ON COMMIT DROP`);
  const { planned, skipped } = planConflictChecks(config, inputs);
  for (const check of planned) await client.query(check.sql, check.values as unknown[]);
  await client.query('DELETE FROM analysis_piece WHERE geom IS NULL OR ST_IsEmpty(geom)');
  await client.query('CREATE INDEX ON analysis_piece USING gist (geom)');
  await client.query('ANALYZE analysis_piece');
  await assignCounties(client, 'analysis_piece');
  await client.query('UPDATE analysis_piece SET area_m2 = meta.area_m2(geom, $1), is_sliver = meta.area_m2(geom, $1) < $2', [method, config.analysis.sliverAreaM2]);
  await client.query(
    `INSERT INTO meta.stat_conflicts (run_id, conflict_type, county_code, county_name, features, area_m2, slivers, sliver_area_m2)
     SELECT $1, conflict_type, county_code, county_name, count(*), sum(area_m2),
            count(*) FILTER (WHERE is_sliver), coalesce(sum(area_m2) FILTER (WHERE is_sliver), 0)
       FROM analysis_piece GROUP BY conflict_type, county_code, county_name`,
    [runId],
  );
  const { rows } = await client.query<{ conflict_type: ConflictType; features: string; area_m2: number; slivers: string; sliver_area_m2: number }>(
    `SELECT conflict_type, sum(features) AS features, sum(area_m2) AS area_m2, sum(slivers) AS slivers, sum(sliver_area_m2) AS sliver_area_m2
       FROM meta.stat_conflicts WHERE run_id = $1 GROUP BY conflict_type`,
    [runId],
  );
  const byType: Partial<Record<ConflictType, ConflictTypeSummary>> = {};
  for (const check of planned) byType[check.type] = { features: 0, areaM2: 0, slivers: 0, sliverAreaM2: 0 };
  for (const row of rows) {
    byType[row.conflict_type] = { features: Number(row.features), areaM2: row.area_m2, slivers: Number(row.slivers), sliverAreaM2: row.sliver_area_m2 };
  }
  return { byType, skipped, checked: planned.length > 0 };
}

/** Every feature of the control lines' live versions, with its role, dataset and key. */
async function createLineTable(client: PoolClient, inputs: AnalysisInputs): Promise<void> {
  await client.query(`CREATE TEMP TABLE analysis_line (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, role text NOT NULL, dataset text NOT NULL, key text,
      geom geometry(MultiPolygon, 4490) NOT NULL, county_code text, county_name text, area_m2 double precision
    ) ON COMMIT DROP`);
  for (const role of CONTROL_LINE_ROLES) {
    for (const dataset of inputs.roles[role]) {
      const key = dataset.keyField ? `${escapeIdentifier(dataset.keyField)}::text` : 'fid::text';
      await client.query(
        `INSERT INTO analysis_line (role, dataset, key, geom) SELECT $1, $2, ${key}, geom FROM ${dataset.table} ORDER BY fid`,
        [role, dataset.id],
      );
    }
  }
  await client.query('CREATE INDEX ON analysis_line USING gist (geom)');
  await client.query('ANALYZE analysis_line');
}

/** Columns of the conflicts dataset's version tables (the MVT properties of its tileset). */
export const CONFLICT_COLUMNS: readonly AttributeColumn[] = [
  { name: 'conflict_type', type: 'text' },
  { name: 'type_name', type: 'text' },
  { name: 'a_dataset', type: 'text' },
  { name: 'a_key', type: 'text' },
  { name: 'b_dataset', type: 'text' },
  { name: 'b_key', type: 'text' },
  { name: 'class_code', type: 'text' },
  { name: 'county_code', type: 'text' },
  { name: 'county_name', type: 'text' },
  { name: 'area_m2', type: 'double precision' },
  { name: 'area_ha', type: 'double precision' },
  { name: 'area_mu', type: 'double precision' },
  { name: 'is_sliver', type: 'boolean' },
  { name: 'analysis_run', type: 'bigint' },
];

/** Fills a conflicts version table from `analysis_piece`, in a stable order. */
export async function insertConflictRows(client: PoolClient, table: string, runId: number): Promise<void> {
  const names = Object.entries(CONFLICT_NAMES);
  await client.query(
    `INSERT INTO ${table} (${CONFLICT_COLUMNS.map((column) => escapeIdentifier(column.name)).join(', ')}, geom)
     SELECT p.conflict_type, n.name, p.a_dataset, p.a_key, p.b_dataset, p.b_key, p.class_code, p.county_code, p.county_name,
            p.area_m2, ${hectaresSql('p.area_m2')}, ${muSql('p.area_m2')}, p.is_sliver, $3::bigint, p.geom
       FROM analysis_piece p JOIN unnest($1::text[], $2::text[]) AS n(type, name) ON n.type = p.conflict_type
      ORDER BY p.conflict_type, p.county_code, p.a_key, p.b_key, p.id`,
    [names.map(([type]) => type), names.map(([, name]) => name), runId],
  );
}
