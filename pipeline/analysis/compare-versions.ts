import { escapeIdentifier } from 'pg';
import type { AreaMethod } from '../../core/config/analysis-schema.js';
import { qualifiedVersionTable, type AttributeColumn } from '../../core/db/dataset-layout.js';
import type { PoolClient } from '../../core/db/pool.js';
import { hectaresSql, muSql } from './area-units.js';

/**
 * What changed between two versions of one dataset (one delivery and the next), into the temp
 * table `analysis_change` of the caller's transaction, one row per parcel of either version:
 *
 * - Parcels are the same parcel when their key (`keyField`, e.g. BSM) is equal; a key held by
 *   several parcels of a version pairs them in fid order, and a parcel without a key never pairs.
 * - `added` / `removed`: the key is only in the newer / older version.
 * - geometry changed: the outlines are not identical and the Hausdorff distance between them, in
 *   metres in the 3° Gauss-Kruger zone, exceeds `toleranceM` (re-projected or re-rounded
 *   deliveries move vertices by less than a millimetre without changing the parcel).
 * - attributes changed: any attribute differs (the key aside; a column only one version has
 *   counts as null in the other); `changed_fields` names them.
 * - `unchanged` rows are counted in the summary but not published in the layer.
 */
export const CHANGE_TYPES = ['added', 'removed', 'geometry', 'attributes', 'geometry_attributes', 'unchanged'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export const CHANGE_NAMES: Readonly<Record<ChangeType, string>> = {
  added: '新增',
  removed: '灭失',
  geometry: '图形变化',
  attributes: '属性变化',
  geometry_attributes: '图形和属性变化',
  unchanged: '未变化',
};

export interface CompareOptions {
  readonly datasetId: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly keyField: string;
  readonly toleranceM: number;
  readonly areaMethod: AreaMethod;
}

export interface ChangeSummaryRow {
  readonly changeType: ChangeType;
  readonly parcels: number;
  readonly areaM2: number;
  readonly areaChangeM2: number;
}

const versionRows = (table: string, key: string) => `SELECT fid, ${key} AS key, geom,
      row_number() OVER (PARTITION BY ${key} ORDER BY fid) AS nth,
      to_jsonb(t) - 'fid' - 'geom' - 'geom_3857' AS attrs
    FROM ${table} t`;

export async function compareVersions(client: PoolClient, options: CompareOptions): Promise<void> {
  const { datasetId, fromVersion, toVersion, keyField, toleranceM, areaMethod } = options;
  const key = `t.${escapeIdentifier(keyField)}::text`;
  await client.query(`CREATE TEMP TABLE analysis_change ON COMMIT DROP AS
    WITH a AS (${versionRows(qualifiedVersionTable(datasetId, fromVersion), key)}),
         b AS (${versionRows(qualifiedVersionTable(datasetId, toVersion), key)}),
    paired AS (
      SELECT coalesce(b.key, a.key) AS key, a.fid AS from_fid, b.fid AS to_fid, a.geom AS from_geom, b.geom AS to_geom,
             a.attrs AS from_attrs, b.attrs AS to_attrs
        FROM a FULL JOIN b ON a.key = b.key AND a.nth = b.nth
    ), measured AS (
      SELECT p.*,
             CASE WHEN from_fid IS NULL OR to_fid IS NULL OR from_geom = to_geom THEN 0
                  ELSE ST_HausdorffDistance(ST_Transform(from_geom, meta.gauss_kruger_srid(to_geom)), ST_Transform(to_geom, meta.gauss_kruger_srid(to_geom)))
             END AS shift_m,
             -- A column only one version has counts as null in the other.
             CASE WHEN from_fid IS NULL OR to_fid IS NULL THEN '{}'::text[]
                  ELSE array(SELECT f FROM (SELECT jsonb_object_keys(from_attrs) UNION SELECT jsonb_object_keys(to_attrs)) AS k(f)
                              WHERE f <> $1 AND coalesce(from_attrs -> f, 'null') <> coalesce(to_attrs -> f, 'null') ORDER BY f)
             END AS changed_fields
        FROM paired p
    )
    SELECT key, from_fid, to_fid, shift_m, changed_fields,
           CASE WHEN from_fid IS NULL THEN 'added'
                WHEN to_fid IS NULL THEN 'removed'
                WHEN shift_m > $2 AND cardinality(changed_fields) > 0 THEN 'geometry_attributes'
                WHEN shift_m > $2 THEN 'geometry'
                WHEN cardinality(changed_fields) > 0 THEN 'attributes'
                ELSE 'unchanged' END AS change_type,
           meta.area_m2(coalesce(to_geom, from_geom), $3) AS area_m2,
           coalesce(meta.area_m2(to_geom, $3), 0) - coalesce(meta.area_m2(from_geom, $3), 0) AS area_change_m2,
           ST_Multi(coalesce(to_geom, from_geom)) AS geom
      FROM measured`, [keyField, toleranceM, areaMethod]);
}

/** Counts and areas per change type of `analysis_change`, stored as meta.stat_changes (replacing an earlier one). */
export async function storeChangeSummary(client: PoolClient, options: CompareOptions): Promise<ChangeSummaryRow[]> {
  const { datasetId, fromVersion, toVersion } = options;
  // An upsert: two requests comparing the same pair at once both store, neither fails.
  await client.query(
    `INSERT INTO meta.stat_changes (dataset_id, from_version, to_version, change_type, parcels, area_m2, area_change_m2)
     SELECT $1, $2, $3, t.change_type, count(c.change_type), coalesce(sum(c.area_m2), 0), coalesce(sum(c.area_change_m2), 0)
       FROM unnest($4::text[]) AS t(change_type) LEFT JOIN analysis_change c ON c.change_type = t.change_type
      GROUP BY t.change_type
     ON CONFLICT (dataset_id, from_version, to_version, change_type) DO UPDATE
        SET parcels = EXCLUDED.parcels, area_m2 = EXCLUDED.area_m2, area_change_m2 = EXCLUDED.area_change_m2, computed_at = now()`,
    [datasetId, fromVersion, toVersion, [...CHANGE_TYPES]],
  );
  return readChangeSummary(client, datasetId, fromVersion, toVersion);
}

export async function readChangeSummary(client: PoolClient, datasetId: string, fromVersion: number, toVersion: number): Promise<ChangeSummaryRow[]> {
  const { rows } = await client.query<{ change_type: ChangeType; parcels: string; area_m2: number; area_change_m2: number }>(
    `SELECT change_type, parcels, area_m2, area_change_m2 FROM meta.stat_changes
      WHERE dataset_id = $1 AND from_version = $2 AND to_version = $3
      ORDER BY array_position($4::text[], change_type)`,
    [datasetId, fromVersion, toVersion, [...CHANGE_TYPES]],
  );
  return rows.map((row) => ({ changeType: row.change_type, parcels: Number(row.parcels), areaM2: row.area_m2, areaChangeM2: row.area_change_m2 }));
}

/** Columns of a changes dataset's version tables. */
export const CHANGE_COLUMNS: readonly AttributeColumn[] = [
  { name: 'change_type', type: 'text' },
  { name: 'type_name', type: 'text' },
  { name: 'key', type: 'text' },
  { name: 'changed_fields', type: 'text' },
  { name: 'area_m2', type: 'double precision' },
  { name: 'area_ha', type: 'double precision' },
  { name: 'area_mu', type: 'double precision' },
  { name: 'area_change_m2', type: 'double precision' },
  { name: 'shift_m', type: 'double precision' },
  { name: 'dataset', type: 'text' },
  { name: 'from_version', type: 'integer' },
  { name: 'to_version', type: 'integer' },
  { name: 'from_fid', type: 'bigint' },
  { name: 'to_fid', type: 'bigint' },
];

/** The changed parcels of `analysis_change` (unchanged ones left out) as rows of a changes version table. */
export async function insertChangeRows(client: PoolClient, table: string, options: CompareOptions): Promise<void> {
  const names = Object.entries(CHANGE_NAMES);
  await client.query(
    `INSERT INTO ${table} (${CHANGE_COLUMNS.map((column) => escapeIdentifier(column.name)).join(', ')}, geom)
     SELECT c.change_type, n.name, c.key, array_to_string(c.changed_fields, ','), c.area_m2, ${hectaresSql('c.area_m2')}, ${muSql('c.area_m2')},
            c.area_change_m2, c.shift_m, $3, $4, $5, c.from_fid, c.to_fid, c.geom
       FROM analysis_change c JOIN unnest($1::text[], $2::text[]) AS n(type, name) ON n.type = c.change_type
      WHERE c.change_type <> 'unchanged'
      ORDER BY c.change_type, c.key, c.to_fid, c.from_fid`,
    [names.map(([type]) => type), names.map(([, name]) => name), options.datasetId, options.fromVersion, options.toVersion],
  );
}
