import Database from 'better-sqlite3';
import { stat } from 'node:fs/promises';
import { ImportError } from '../../../core/errors.js';
import { chooseFeatureTable, checkIsGeoPackage } from './feature-tables.js';
import { describeSqliteError, GeoPackageFeatureSource, type GeoPackageSource } from './geopackage-source.js';
import { readGeometryColumn } from './geometry-column.js';
import { readCrsHint } from './spatial-ref-sys.js';
import { readTableColumns } from './table-columns.js';

export type { GeoPackageSource } from './geopackage-source.js';

export interface GeoPackageOptions {
  /** Names the file in messages and as FeatureSource.file (e.g. `archive.zip!/a/b.gpkg`); default: the path. */
  readonly label?: string;
  /** The feature table to read; needed only when the file holds more than one. Matched as SQLite matches names, ignoring case. */
  readonly table?: string;
}

/**
 * Opens a GeoPackage (OGC 12-128r18, GeoPackage 1.2 and 1.3; 1.0 and 1.1 files read the same)
 * as a FeatureSource, read-only, with better-sqlite3: the file is never written, not even a
 * journal.
 *
 * Everything that can be checked without reading the features is checked here: that the file
 * is SQLite and a GeoPackage, which feature table to read (gpkg_contents), its geometry column and
 * CRS (gpkg_geometry_columns, gpkg_spatial_ref_sys), its primary key and attribute types. Rows are
 * then read one at a time by `features()`. Each problem is an ImportError naming the file, and the
 * feature and field where there is one.
 */
export async function openGeoPackage(path: string, options: GeoPackageOptions = {}): Promise<GeoPackageSource> {
  const file = options.label ?? path;
  await checkIsFile(path, file);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw new ImportError({ file }, `cannot be opened: ${describeSqliteError(cause)}`, { cause });
  }
  try {
    checkIsGeoPackage(db, file);
    const table = chooseFeatureTable(db, file, options.table);
    const geometry = readGeometryColumn(db, file, table);
    const crs = readCrsHint(db, file, geometry.srsId);
    const columns = readTableColumns(db, file, table, geometry.name);
    return new GeoPackageFeatureSource({ db, file, table, geometry, columns, crs });
  } catch (error) {
    db.close();
    throw asImportError(error, file);
  }
}

async function checkIsFile(path: string, file: string): Promise<void> {
  try {
    if (!(await stat(path)).isFile()) throw new ImportError({ file }, 'is not a file');
  } catch (cause) {
    if (cause instanceof ImportError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ImportError({ file }, code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code ?? String(cause)})`, { cause });
  }
}

/** SQLite only finds out that a file is not a database when it first reads it, i.e. in the checks above. */
function asImportError(error: unknown, file: string): unknown {
  if (error instanceof ImportError) return error;
  if (error instanceof Database.SqliteError) {
    if (error.code === 'SQLITE_NOTADB') return new ImportError({ file }, 'is not a SQLite database, so not a GeoPackage', { cause: error });
    return new ImportError({ file }, `cannot be read as a GeoPackage: ${describeSqliteError(error)}`, { cause: error });
  }
  return error;
}
