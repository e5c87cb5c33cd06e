import type { Database } from 'better-sqlite3';
import { ImportError } from '../../../core/errors.js';
import { hasTable } from './sqlite-schema.js';

/** The feature table's geometry column as gpkg_geometry_columns declares it (OGC 12-128r18 §2.1.5). */
export interface GeometryColumn {
  readonly name: string;
  /** GEOMETRY, POLYGON, MULTIPOLYGON...: informative only, each blob states its own type. */
  readonly typeName: string;
  /** Key into gpkg_spatial_ref_sys; every blob in the column must state the same srs_id. */
  readonly srsId: number;
}

interface GeometryColumnRow {
  readonly column_name: string;
  readonly geometry_type_name: string;
  readonly srs_id: number;
}

export function readGeometryColumn(db: Database, file: string, table: string): GeometryColumn {
  if (!hasTable(db, 'gpkg_geometry_columns')) {
    throw new ImportError({ file }, 'has no gpkg_geometry_columns table, which a GeoPackage with features needs (OGC 12-128r18 §2.1.5)');
  }
  const row = db
    .prepare('SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ? COLLATE NOCASE')
    .get(table) as GeometryColumnRow | undefined;
  if (row === undefined) throw new ImportError({ file }, `has no row in gpkg_geometry_columns for the feature table ${JSON.stringify(table)}`);
  if (!Number.isInteger(row.srs_id)) {
    throw new ImportError({ file, field: row.column_name }, `has srs_id ${JSON.stringify(row.srs_id)} in gpkg_geometry_columns, which is not an integer`);
  }
  return { name: row.column_name, typeName: row.geometry_type_name, srsId: row.srs_id };
}
