import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Written next to the database files: which build made them, and whether it finished. */
export const VERSION_FILE_NAME = 'planmap-embedded.json';
/** PGlite's own folder inside the data folder. */
export const DATABASE_FOLDER_NAME = 'pgdata';

export interface DataFolderVersion {
  /** The layout of this folder (the files above); bumped if planmap changes it. */
  readonly layout: number;
  readonly pglite: string;
  readonly postgis: string;
  /** False from the first write until the cluster and PostGIS exist: a crash in between left nothing worth keeping. */
  readonly complete: boolean;
}

export const CURRENT_LAYOUT = 1;

/** The folder cannot be used as it is; the message names it and says what to do. */
export class DataFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFolderError';
  }
}

export type FolderState =
  | { readonly kind: 'new' }
  /** Made by an interrupted first start: holds no data, safe to make again. */
  | { readonly kind: 'unfinished' }
  | { readonly kind: 'ready' };

/**
 * What the data folder holds, checked against this build's PGlite and PostGIS. Refuses (never
 * starts empty over data) a folder with database files but no version file, a version file
 * without database files, or files of another PGlite/PostGIS version.
 */
export function inspectDataFolder(dataDir: string, build: Omit<DataFolderVersion, 'complete' | 'layout'>): FolderState {
  const versionFile = join(dataDir, VERSION_FILE_NAME);
  const databaseDir = join(dataDir, DATABASE_FOLDER_NAME);
  const hasDatabase = existsSync(join(databaseDir, 'PG_VERSION'));
  if (!existsSync(versionFile)) {
    if (!hasDatabase) return { kind: 'new' };
    throw new DataFolderError(`the embedded database folder ${dataDir} holds database files (${DATABASE_FOLDER_NAME}/) but no ${VERSION_FILE_NAME}: ` +
      'it was not made by this version of planmap, so it is left untouched. Move it away (or delete it to start again with the sample data), ' +
      'or set EMBEDDED_DATA_DIR to another folder.');
  }
  const stored = readVersionFile(versionFile);
  if (!stored.complete) return { kind: 'unfinished' };
  if (stored.layout !== CURRENT_LAYOUT || stored.pglite !== build.pglite || stored.postgis !== build.postgis) {
    throw new DataFolderError(`the embedded database folder ${dataDir} was written by PGlite ${stored.pglite} with PostGIS ${stored.postgis} ` +
      `(folder layout ${stored.layout}); this installation has PGlite ${build.pglite} with PostGIS ${build.postgis} (layout ${CURRENT_LAYOUT}), ` +
      'which cannot be assumed to read it. Start the version that wrote it to export your data, or move the folder away ' +
      '(or delete it) to start again with the sample data, or set EMBEDDED_DATA_DIR to another folder.');
  }
  if (!hasDatabase) {
    throw new DataFolderError(`the embedded database folder ${dataDir} has its ${VERSION_FILE_NAME} but its database files ` +
      `(${DATABASE_FOLDER_NAME}/) are missing: refusing to start on an empty database. Restore the folder, or delete it to start again with the sample data.`);
  }
  return { kind: 'ready' };
}

export function writeVersionFile(dataDir: string, version: DataFolderVersion): void {
  writeFileSync(join(dataDir, VERSION_FILE_NAME), `${JSON.stringify(version, null, 2)}\n`);
}

function readVersionFile(file: string): DataFolderVersion {
  let parsed: Partial<DataFolderVersion>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DataFolderVersion>;
  } catch (error) {
    throw new DataFolderError(`${file} is not valid JSON (${(error as Error).message}): cannot tell which version wrote this embedded database. ` +
      'Restore the file, or move the folder away to start again with the sample data.');
  }
  if (typeof parsed.layout !== 'number' || typeof parsed.pglite !== 'string' || typeof parsed.postgis !== 'string' || typeof parsed.complete !== 'boolean') {
    throw new DataFolderError(`${file} lacks layout, pglite, postgis or complete: cannot tell which version wrote this embedded database. ` +
      'Restore the file, or move the folder away to start again with the sample data.');
  }
  return parsed as DataFolderVersion;
}
