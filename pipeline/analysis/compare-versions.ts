import { escapeIdentifier, escapeLiteral } from 'pg';
import type { AreaMethod } from '../../core/config/analysis-schema.js';
import { mercatorColumnName, qualifiedVersionTable, type AttributeColumn } from '../../core/db/dataset-layout.js';
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

/** Key and pairing rank of each parcel: narrow rows, so that the sort of the window stays in memory. */
const versionKeys = (table: string, key: string) => `SELECT fid, ${key} AS key, row_number() OVER (PARTITION BY ${key} ORDER BY fid) AS nth FROM ${table} t`;

/** Columns of a version table that are not attributes. */
const NOT_ATTRIBUTES = ['fid', 'geom', mercatorColumnName('geom')];
/** jsonb_build_object takes at most 100 arguments: 50 columns a call, the calls concatenated. */
const COLUMNS_PER_OBJECT = 50;

/**
 * The attributes of a version row as one JSON object, as to_jsonb(row) would give them without
 * fid and the geometries. Not `to_jsonb(t) - 'geom' ...`: that converts both geometries to
 * GeoJSON first (PostGIS casts geometry to json), 250 µs a row, most of a comparison's time.
 */
async function attributesOf(client: PoolClient, datasetId: string, version: number, alias: string): Promise<string> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND NOT (attname = ANY ($2::text[]))
      ORDER BY attnum`,
    [qualifiedVersionTable(datasetId, version), NOT_ATTRIBUTES],
  );
  if (rows.length === 0) return `'{}'::jsonb`;
  const objects: string[] = [];
  for (let i = 0; i < rows.length; i += COLUMNS_PER_OBJECT) {
    const pairs = rows.slice(i, i + COLUMNS_PER_OBJECT).map(({ name }) => `${escapeLiteral(name)}, ${alias}.${escapeIdentifier(name)}`);
    objects.push(`jsonb_build_object(${pairs.join(', ')})`);
  }
  return objects.join(' || ');
}

/**
 * Most parcels of a delivery are those of the one before, unchanged, so the statement is built
 * to make an unchanged pair cheap: the attributes are built as JSON without the geometries (see
 * attributesOf), the outlines are compared as values (equal geometries need no
 * Hausdorff distance, and their areas are one area), the attributes as one JSON value (the
 * per-field diff runs only when they differ), and the pairing is done on keys alone, the
 * geometries and attributes fetched by fid afterwards. An unchanged row keeps no geometry: it
 * is counted in the summary and never published. Same results as comparing everything.
 */
export async function compareVersions(client: PoolClient, options: CompareOptions): Promise<void> {
  const { datasetId, fromVersion, toVersion, keyField, toleranceM, areaMethod } = options;
  const key = `t.${escapeIdentifier(keyField)}::text`;
  const fromTable = qualifiedVersionTable(datasetId, fromVersion);
  const toTable = qualifiedVersionTable(datasetId, toVersion);
  // The pairing and the fetches by fid are hash joins over every parcel of both versions.
  await client.query("SELECT set_config('work_mem', '64MB', true)");
  await client.query(`CREATE TEMP TABLE analysis_change ON COMMIT DROP AS
    WITH paired AS (
      SELECT coalesce(b.key, a.key) AS key, a.fid AS from_fid, b.fid AS to_fid
        FROM (${versionKeys(fromTable, key)}) a FULL JOIN (${versionKeys(toTable, key)}) b ON a.key = b.key AND a.nth = b.nth
    ), fetched AS (
      SELECT p.key, p.from_fid, p.to_fid, f.geom AS from_geom, t.geom AS to_geom,
             ${await attributesOf(client, datasetId, fromVersion, 'f')} AS from_attrs, ${await attributesOf(client, datasetId, toVersion, 't')} AS to_attrs
        FROM paired p LEFT JOIN ${fromTable} f ON f.fid = p.from_fid LEFT JOIN ${toTable} t ON t.fid = p.to_fid
    ), measured AS (
      -- OFFSET 0 keeps this a subquery of its own: pulled up, every reference to to_area, shift_m
      -- or changed_fields below would compute it again.
      SELECT key, from_fid, to_fid, from_geom, to_geom, same_geom,
             CASE WHEN from_fid IS NULL OR to_fid IS NULL OR same_geom THEN 0
                  ELSE ST_HausdorffDistance(ST_Transform(from_geom, meta.gauss_kruger_srid(to_geom)), ST_Transform(to_geom, meta.gauss_kruger_srid(to_geom)))
             END AS shift_m,
             -- A column only one version has counts as null in the other.
             CASE WHEN from_fid IS NULL OR to_fid IS NULL OR from_attrs = to_attrs THEN '{}'::text[]
                  ELSE array(SELECT f FROM (SELECT jsonb_object_keys(from_attrs) UNION SELECT jsonb_object_keys(to_attrs)) AS k(f)
                              WHERE f <> $1 AND coalesce(from_attrs -> f, 'null') <> coalesce(to_attrs -> f, 'null') ORDER BY f)
             END AS changed_fields,
             meta.area_m2(to_geom, $3) AS to_area,
             CASE WHEN same_geom THEN NULL ELSE meta.area_m2(from_geom, $3) END AS from_area
        FROM (SELECT *, coalesce(from_geom = to_geom, false) AS same_geom FROM fetched OFFSET 0) f
      OFFSET 0
    ), classified AS (
      SELECT *,
             CASE WHEN from_fid IS NULL THEN 'added'
                  WHEN to_fid IS NULL THEN 'removed'
                  WHEN shift_m > $2 AND cardinality(changed_fields) > 0 THEN 'geometry_attributes'
                  WHEN shift_m > $2 THEN 'geometry'
                  WHEN cardinality(changed_fields) > 0 THEN 'attributes'
                  ELSE 'unchanged' END AS change_type
        FROM measured
    )
    SELECT key, from_fid, to_fid, shift_m, changed_fields, change_type,
           coalesce(to_area, from_area) AS area_m2,
           CASE WHEN same_geom THEN 0 ELSE coalesce(to_area, 0) - coalesce(from_area, 0) END AS area_change_m2,
           CASE WHEN change_type = 'unchanged' THEN NULL ELSE ST_Multi(coalesce(to_geom, from_geom)) END AS geom
      FROM classified`, [keyField, toleranceM, areaMethod]);
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
