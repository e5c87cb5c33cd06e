import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MultiPolygon, Polygon } from 'geojson';
import type { FeatureSource, SourceFeature } from '../../../../pipeline/readers/feature-source.js';

/**
 * Test GeoPackages, made in a temporary folder with better-sqlite3 itself: the gpkg_* tables with
 * the table definitions of OGC 12-128r18 (GeoPackage 1.3), the three srs rows Requirement 11 asks for,
 * and feature tables with an `fid INTEGER PRIMARY KEY AUTOINCREMENT`. Geometry blobs come from
 * `geometry-blobs.ts`. Bad inputs are made by writing what the spec forbids, or by editing the
 * tables after the fact with `editGeoPackage`.
 */

export async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'planmap-geopackage-'));
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface SrsSpec {
  readonly srsId: number;
  readonly name: string;
  readonly organization: string;
  readonly organizationCoordsysId: number;
  readonly definition: string;
}

export interface ColumnSpec {
  readonly name: string;
  /** As declared in CREATE TABLE: TEXT, INTEGER, DOUBLE, BOOLEAN, DATE, DATETIME, BLOB, TEXT(60)... */
  readonly type: string;
}

/** One row: values by column name (booleans as 0/1, as SQLite stores them); `fid` when the test sets it. */
export interface RowSpec {
  readonly fid?: number;
  readonly geometry: Uint8Array | string | null;
  readonly values?: Readonly<Record<string, string | number | bigint | Uint8Array | null>>;
}

export interface TableSpec {
  readonly name: string;
  readonly srsId: number;
  readonly columns: readonly ColumnSpec[];
  readonly rows: Iterable<RowSpec>;
  /** Default `geom`. */
  readonly geometryColumn?: string;
  /** Default MULTIPOLYGON. */
  readonly geometryType?: string;
  /** gpkg_contents data_type; default 'features'. */
  readonly dataType?: string;
}

export interface GeoPackageSpec {
  /** Rows beside the three Requirement 11 asks for (4326, -1, 0). */
  readonly srs?: readonly SrsSpec[];
  readonly tables: readonly TableSpec[];
}

/** CGCS2000 / 3-degree Gauss-Kruger zone 39 (EPSG:4527), as GDAL writes it into gpkg_spatial_ref_sys. */
export const EPSG_4527: SrsSpec = {
  srsId: 4527,
  name: 'CGCS2000 / 3-degree Gauss-Kruger zone 39',
  organization: 'EPSG',
  organizationCoordsysId: 4527,
  definition:
    'PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 39",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",117],PARAMETER["scale_factor",1],PARAMETER["false_easting",39500000],PARAMETER["false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","4527"]]',
};

const WGS84_DEFINITION =
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]';

const REQUIRED_SRS: readonly SrsSpec[] = [
  { srsId: 4326, name: 'WGS 84 geodetic', organization: 'EPSG', organizationCoordsysId: 4326, definition: WGS84_DEFINITION },
  { srsId: -1, name: 'Undefined Cartesian SRS', organization: 'NONE', organizationCoordsysId: -1, definition: 'undefined' },
  { srsId: 0, name: 'Undefined geographic SRS', organization: 'NONE', organizationCoordsysId: 0, definition: 'undefined' },
];

/** The table definitions of gpkg_spatial_ref_sys (§1.1.2), gpkg_contents (§1.1.3) and gpkg_geometry_columns (§2.1.5). */
const CORE_DDL = `
  CREATE TABLE gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
  CREATE TABLE gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
  CREATE TABLE gpkg_geometry_columns (
    table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
    z TINYINT NOT NULL, m TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT uk_gc_table_name UNIQUE (table_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
`;

/** application_id 'GPKG' and user_version 10300, as Requirement 2 asks of a GeoPackage 1.3. */
const APPLICATION_ID_GPKG = 0x47504b47;
const USER_VERSION_1_3 = 10300;

export function writeGeoPackage(path: string, spec: GeoPackageSpec): string {
  const db = new Database(path);
  try {
    db.pragma(`application_id = ${APPLICATION_ID_GPKG}`);
    db.pragma(`user_version = ${USER_VERSION_1_3}`);
    db.exec(CORE_DDL);
    const insertSrs = db.prepare('INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition) VALUES (?, ?, ?, ?, ?)');
    for (const srs of [...REQUIRED_SRS, ...(spec.srs ?? [])]) insertSrs.run(srs.name, srs.srsId, srs.organization, srs.organizationCoordsysId, srs.definition);
    for (const table of spec.tables) writeTable(db, table);
  } finally {
    db.close();
  }
  return path;
}

function writeTable(db: Database.Database, table: TableSpec): void {
  const geometryColumn = table.geometryColumn ?? 'geom';
  const geometryType = table.geometryType ?? 'MULTIPOLYGON';
  const columns = table.columns.map((column) => `${quote(column.name)} ${column.type}`);
  db.exec(`CREATE TABLE ${quote(table.name)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, ${quote(geometryColumn)} ${geometryType}${columns.map((c) => `, ${c}`).join('')})`);
  db.prepare('INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, ?, ?, ?)').run(table.name, table.dataType ?? 'features', table.name, table.srsId);
  db.prepare('INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)').run(table.name, geometryColumn, geometryType, table.srsId);
  const names = ['fid', geometryColumn, ...table.columns.map((column) => column.name)];
  const insert = db.prepare(`INSERT INTO ${quote(table.name)} (${names.map(quote).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
  db.transaction(() => {
    for (const row of table.rows) insert.run(row.fid ?? null, row.geometry, ...table.columns.map((column) => row.values?.[column.name] ?? null));
  })();
}

/** Runs SQL against a GeoPackage already written, to damage it the way a bad writer would. */
export function editGeoPackage(path: string, sql: string): void {
  const db = new Database(path);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Every feature of a source, then closes it. */
export async function readAll(source: FeatureSource): Promise<SourceFeature[]> {
  try {
    const features: SourceFeature[] = [];
    for await (const feature of source.features()) features.push(feature);
    return features;
  } finally {
    await source.close();
  }
}

/** A 10 m square in Gauss-Kruger zone 39 (EPSG:4527), counter-clockwise as RFC 7946 wants. */
export function square(x: number, y: number, size = 10): Polygon {
  return { type: 'Polygon', coordinates: [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]] };
}

/** A parcel with a courtyard (hole), in RFC 7946 orientation: shell counter-clockwise, hole clockwise. */
export const WITH_HOLE: Polygon = {
  type: 'Polygon',
  coordinates: [
    [[39468123.456, 4035127.891], [39468223.457, 4035127.892], [39468223.458, 4035227.893], [39468123.459, 4035227.894], [39468123.456, 4035127.891]],
    [[39468150.001, 4035150.002], [39468150.003, 4035180.004], [39468180.005, 4035180.006], [39468180.007, 4035150.008], [39468150.001, 4035150.002]],
  ],
};

/** Two parts, the second with two holes, in RFC 7946 orientation. */
export const MULTI: MultiPolygon = {
  type: 'MultiPolygon',
  coordinates: [
    square(39470000.001, 4036000.002, 5).coordinates,
    [
      [[39471000.111, 4037000.222], [39471100.333, 4037000.444], [39471100.555, 4037100.666], [39471000.777, 4037100.888], [39471000.111, 4037000.222]],
      [[39471010.1, 4037010.2], [39471010.3, 4037020.4], [39471020.5, 4037020.6], [39471010.1, 4037010.2]],
      [[39471050.1, 4037050.2], [39471050.3, 4037060.4], [39471060.5, 4037060.6], [39471050.1, 4037050.2]],
    ],
  ],
};
