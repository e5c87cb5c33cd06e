import type { Database } from 'better-sqlite3';
import { ImportError } from '../../../core/errors.js';
import type { FieldInfo } from '../feature-source.js';
import { tableInfo, type ColumnInfo } from './sqlite-schema.js';

/**
 * The columns of a feature table, sorted into its key, its geometry, the attributes that become
 * properties, and the columns that are skipped.
 *
 * Declared types follow the GeoPackage data types (OGC 12-128r18 §1.1.1.1.3, Table 1). A type
 * outside that table (written by a tool that does not follow it: VARCHAR(50), NUMERIC, BIGINT...)
 * is read by SQLite's own affinity rules (https://www.sqlite.org/datatype3.html §3.1).
 *
 * Skipped, by choice: BLOB columns, columns of no declared type (SQLite gives them BLOB affinity)
 * and geometry columns other than the one registered in gpkg_geometry_columns. A property value
 * is text, a number, a boolean or null; bytes have no faithful form among them, and attachments
 * or thumbnails are not attributes of a parcel. Refusing every delivery that carries one would
 * block imports for data the map never shows; dropping it silently would hide it. So the source
 * lists them in `skippedColumns`, where the importer can report them, and never reads them.
 */

/** How a column's values are read: DATETIME stays text (FieldInfo has no date-time type). */
export type ColumnKind = 'integer' | 'number' | 'string' | 'boolean' | 'date' | 'datetime';

export interface AttributeColumn {
  readonly name: string;
  readonly kind: ColumnKind;
}

export interface SkippedColumn {
  readonly name: string;
  /** As declared, e.g. `BLOB`, `POINT` or empty. */
  readonly declaredType: string;
  readonly reason: 'blob' | 'geometry';
}

export interface TableColumns {
  /** The INTEGER PRIMARY KEY (usually `fid`): the features' order, never a property. */
  readonly primaryKey: string;
  readonly attributes: readonly AttributeColumn[];
  readonly skipped: readonly SkippedColumn[];
}

const GEOPACKAGE_TYPES: Readonly<Record<string, ColumnKind | 'blob'>> = {
  BOOLEAN: 'boolean',
  TINYINT: 'integer',
  SMALLINT: 'integer',
  MEDIUMINT: 'integer',
  INT: 'integer',
  INTEGER: 'integer',
  FLOAT: 'number',
  DOUBLE: 'number',
  REAL: 'number',
  TEXT: 'string',
  BLOB: 'blob',
  DATE: 'date',
  DATETIME: 'datetime',
};

/** Geometry type names of §2.1.4 and Annex E; checked before affinity, since `POINT` contains `INT`. */
const GEOMETRY_TYPES = new Set([
  'GEOMETRY', 'POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON', 'GEOMETRYCOLLECTION',
  'CIRCULARSTRING', 'COMPOUNDCURVE', 'CURVEPOLYGON', 'MULTICURVE', 'MULTISURFACE', 'CURVE', 'SURFACE',
]);

export function readTableColumns(db: Database, file: string, table: string, geometryColumn: string): TableColumns {
  const columns = tableInfo(db, table);
  const primaryKey = findPrimaryKey(columns, file, table);
  if (!columns.some((column) => column.name.toLowerCase() === geometryColumn.toLowerCase())) {
    throw new ImportError({ file, field: geometryColumn }, `is registered in gpkg_geometry_columns as the geometry of ${JSON.stringify(table)}, but the table has no such column`);
  }
  const attributes: AttributeColumn[] = [];
  const skipped: SkippedColumn[] = [];
  for (const column of columns) {
    const name = column.name.toLowerCase();
    if (name === primaryKey.toLowerCase() || name === geometryColumn.toLowerCase()) continue;
    const kind = columnKind(column.type);
    if (kind === 'blob' || kind === 'geometry') skipped.push({ name: column.name, declaredType: column.type, reason: kind });
    else attributes.push({ name: column.name, kind });
  }
  return { primaryKey, attributes, skipped };
}

export function fieldInfo(column: AttributeColumn): FieldInfo {
  return { name: column.name, type: column.kind === 'datetime' ? 'string' : column.kind };
}

/** §2.1.6 requires a column of type INTEGER PRIMARY KEY AUTOINCREMENT: it orders the features and numbers them in messages. */
function findPrimaryKey(columns: readonly ColumnInfo[], file: string, table: string): string {
  const keys = columns.filter((column) => column.pk > 0);
  const [key] = keys;
  if (keys.length !== 1 || key === undefined || key.type.trim().toUpperCase() !== 'INTEGER') {
    const found = keys.length === 0 ? 'none' : keys.map((column) => `${column.name} ${column.type}`).join(', ');
    throw new ImportError({ file }, `has a feature table ${JSON.stringify(table)} without an INTEGER PRIMARY KEY column (its primary key: ${found}); a GeoPackage feature table needs one (OGC 12-128r18 §2.1.6)`);
  }
  return key.name;
}

function columnKind(declared: string): ColumnKind | 'blob' | 'geometry' {
  // TEXT(20) and BLOB(1024) state a maximum size, which does not change how values are read.
  const type = declared.replace(/\(.*\)$/, '').trim().toUpperCase();
  const known = GEOPACKAGE_TYPES[type];
  if (known !== undefined) return known;
  if (GEOMETRY_TYPES.has(type)) return 'geometry';
  if (type.includes('INT')) return 'integer';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'string';
  if (type === '' || type.includes('BLOB')) return 'blob';
  // REAL affinity, and NUMERIC affinity (NUMERIC, DECIMAL(12,2)...), which stores integers or reals.
  return 'number';
}
