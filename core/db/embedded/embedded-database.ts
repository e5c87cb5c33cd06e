import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import type { Logger } from '../../logger.js';
import { lockDataFolder } from './data-folder-lock.js';
import { CURRENT_LAYOUT, DATABASE_FOLDER_NAME, inspectDataFolder, writeVersionFile } from './data-folder-version.js';
import { startProtocolBridge } from './protocol-bridge.js';

export interface EmbeddedDatabase {
  /** A `pg` connection string for the in-process database (a Unix socket of this process). */
  readonly url: string;
  readonly dataDir: string;
  /** Closes connections, shuts PGlite down cleanly and releases the folder. */
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  readonly dataDir: string;
  readonly logger: Logger;
}

/**
 * PostgreSQL (PGlite, WebAssembly) with PostGIS in this process, its files in `dataDir`, served
 * to the ordinary `pg` code through a Unix-socket bridge. The folder is locked for this process,
 * and checked against the PGlite and PostGIS versions that wrote it (see data-folder-version.ts).
 * After a crash PostgreSQL's own WAL recovery replays what was committed.
 */
export async function startEmbeddedDatabase({ dataDir, logger }: EmbeddedOptions): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const releaseLock = lockDataFolder(dataDir);
  try {
    const build = { pglite: packageVersion('@electric-sql/pglite'), postgis: packageVersion('@electric-sql/pglite-postgis') };
    const state = inspectDataFolder(dataDir, build);
    const databaseDir = join(dataDir, DATABASE_FOLDER_NAME);
    if (state.kind === 'unfinished') {
      logger.warn({ dataDir }, 'embedded database: the first start in this folder was interrupted; making it again');
      rmSync(databaseDir, { recursive: true, force: true });
    }
    const isNew = state.kind !== 'ready';
    if (isNew) writeVersionFile(dataDir, { layout: CURRENT_LAYOUT, ...build, complete: false });
    logger.info({ dataDir, ...build, isNew }, isNew ? 'embedded database: creating (PGlite with PostGIS)' : 'embedded database: opening');
    const db = await PGlite.create({ dataDir: databaseDir, extensions: { postgis } });
    try {
      if (isNew) {
        // The migrations create it too; made here so the folder is only "complete" with PostGIS in it.
        await db.exec('CREATE EXTENSION IF NOT EXISTS postgis');
        writeVersionFile(dataDir, { layout: CURRENT_LAYOUT, ...build, complete: true });
      }
      const bridge = await startProtocolBridge(db, logger);
      return {
        url: bridge.url,
        dataDir,
        async close() {
          try {
            await bridge.close();
            await db.close();
          } finally {
            releaseLock();
          }
        },
      };
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/** The installed version of a dependency, read from its package.json. */
function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === name && manifest.version) return manifest.version;
    } catch {
      // not here: look one folder up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${name}`);
    dir = parent;
  }
}
