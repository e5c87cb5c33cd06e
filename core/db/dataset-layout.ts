import { escapeIdentifier } from 'pg';

/**
 * Where a dataset's data lives. Each published version is its own table
 * `data.<dataset>__v<version>`; `live.<dataset>` is a view of the live one, switched by
 * meta.publish_version(). Server and pipeline both name tables through this module only.
 */
export const DATA_SCHEMA = 'data';
export const LIVE_SCHEMA = 'live';

/** Canonical geometry: CGCS2000 geographic, full double precision. */
export const CANONICAL_SRID = 4490;
export const MERCATOR_SRID = 3857;

export type GeometryType = 'MultiPolygon' | 'MultiLineString' | 'MultiPoint';

export type AttributeType = 'text' | 'integer' | 'bigint' | 'double precision' | 'numeric' | 'date' | 'boolean';

export interface AttributeColumn {
  readonly name: string;
  readonly type: AttributeType;
}

export function versionTableName(datasetId: string, version: number): string {
  return `${datasetId}__v${version}`;
}

/** The stored EPSG:3857 copy of a geometry column, used for Web Mercator tiles. */
export function mercatorColumnName(geometryColumn: string): string {
  return `${geometryColumn}_3857`;
}

export function qualifiedVersionTable(datasetId: string, version: number): string {
  return `${escapeIdentifier(DATA_SCHEMA)}.${escapeIdentifier(versionTableName(datasetId, version))}`;
}

export function qualifiedLiveView(datasetId: string): string {
  return `${escapeIdentifier(LIVE_SCHEMA)}.${escapeIdentifier(datasetId)}`;
}

/**
 * DDL of a version table: `fid`, the attributes, the canonical geometry and its 3857 copy.
 * The copy is a generated column, so it can never disagree with the canonical geometry.
 */
export function versionTableDdl(
  datasetId: string,
  version: number,
  attributes: readonly AttributeColumn[],
  geometryType: GeometryType = 'MultiPolygon',
): string {
  const columns = [
    'fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
    ...attributes.map((column) => `${escapeIdentifier(column.name)} ${column.type}`),
    `geom geometry(${geometryType}, ${CANONICAL_SRID}) NOT NULL`,
    `${mercatorColumnName('geom')} geometry(${geometryType}, ${MERCATOR_SRID}) NOT NULL ` +
      `GENERATED ALWAYS AS (ST_Transform(geom, ${MERCATOR_SRID})) STORED`,
  ];
  return `CREATE TABLE ${qualifiedVersionTable(datasetId, version)} (\n  ${columns.join(',\n  ')}\n)`;
}

/** GIST indexes on both geometries; built after the bulk load, which is faster than during. */
export function versionIndexesDdl(datasetId: string, version: number): string[] {
  const table = qualifiedVersionTable(datasetId, version);
  const base = versionTableName(datasetId, version);
  return ['geom', mercatorColumnName('geom')].map(
    (column) => `CREATE INDEX ${escapeIdentifier(`${base}_${column}_gist`)} ON ${table} USING gist (${escapeIdentifier(column)})`,
  );
}
