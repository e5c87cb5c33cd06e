import type { Database } from 'better-sqlite3';
import { ImportError } from '../../../core/errors.js';
import { hasTable } from './sqlite-schema.js';

/**
 * Which table of a GeoPackage holds the features: gpkg_contents lists every table of user data
 * with its data_type (OGC 12-128r18 §1.1.3); vector features are 'features' (§2.1.2). A file with
 * one feature table needs no choice; with several, the caller names one.
 */

/** Refuses a SQLite file without gpkg_contents: it may be a SpatiaLite or plain SQLite database, but not a GeoPackage. */
export function checkIsGeoPackage(db: Database, file: string): void {
  if (!hasTable(db, 'gpkg_contents')) {
    throw new ImportError({ file }, 'is a SQLite database but not a GeoPackage: it has no gpkg_contents table');
  }
}

export function chooseFeatureTable(db: Database, file: string, wanted: string | undefined): string {
  const tables = listContents(db).filter((row) => row.data_type === 'features').map((row) => row.table_name);
  if (wanted !== undefined) {
    // SQLite table names are case-insensitive, so `DLTB` names the table `dltb`.
    const found = tables.find((table) => table.toLowerCase() === wanted.toLowerCase());
    if (found === undefined) {
      throw new ImportError({ file }, `has no feature table ${JSON.stringify(wanted)}; its feature tables are: ${describeTables(tables)}`);
    }
    return checkTableExists(db, file, found);
  }
  const [only, ...others] = tables;
  if (only === undefined) throw new ImportError({ file }, `has no feature table: gpkg_contents lists ${describeOtherContents(db)}`);
  if (others.length > 0) {
    throw new ImportError({ file }, `holds ${tables.length} feature tables (${describeTables(tables)}): name the one to import with the table option`);
  }
  return checkTableExists(db, file, only);
}

interface ContentsRow {
  readonly table_name: string;
  readonly data_type: string;
}

function listContents(db: Database): ContentsRow[] {
  return db.prepare('SELECT table_name, data_type FROM gpkg_contents ORDER BY table_name').all() as ContentsRow[];
}

function checkTableExists(db: Database, file: string, table: string): string {
  if (!hasTable(db, table)) throw new ImportError({ file }, `lists the feature table ${JSON.stringify(table)} in gpkg_contents, but has no such table`);
  return table;
}

function describeTables(tables: readonly string[]): string {
  return tables.length === 0 ? 'none' : tables.map((table) => JSON.stringify(table)).join(', ');
}

/** What gpkg_contents lists instead of features (tiles, attributes, ...), so the message says what the file is. */
function describeOtherContents(db: Database): string {
  const rows = listContents(db);
  if (rows.length === 0) return 'no tables at all';
  return `only ${rows.map((row) => `${JSON.stringify(row.table_name)} (${row.data_type})`).join(', ')}`;
}
