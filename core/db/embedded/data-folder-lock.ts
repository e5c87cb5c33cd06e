import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The lock file in the data folder; holds the owner's pid and host, one JSON object. */
export const LOCK_FILE_NAME = 'planmap.lock';

/** Another live process has the data folder: PGlite is one process's database. */
export class DataFolderInUseError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(`the embedded database folder ${dataDir} is in use by the planmap process with pid ${pid}. ` +
      'Stop that server first, or give this one its own folder with EMBEDDED_DATA_DIR, or set DATABASE_URL to a PostgreSQL with PostGIS.');
    this.name = 'DataFolderInUseError';
  }
}

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/**
 * Takes the data folder for this process. A lock left by a process that no longer runs (a
 * crash, `kill -9`) is taken over; one held by a live process is refused. The lock is created
 * with `wx` (fails if it exists), so two servers starting at the same moment cannot both win.
 * Returns the release function (also safe to call twice).
 */
export function lockDataFolder(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE_NAME);
  const mine: LockContent = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLock(file);
    // This very process counts as alive too: two PGlite instances on one folder would corrupt it.
    if (holder && isAlive(holder)) throw new DataFolderInUseError(dataDir, holder.pid);
    // Stale (dead pid) or unreadable (a crash while writing it): remove and try again.
    rmSync(file, { force: true });
  }
  throw new Error(`cannot take the lock ${file}: it keeps reappearing`);
}

function readLock(file: string): LockContent | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockContent>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, host: String(parsed.host ?? ''), startedAt: String(parsed.startedAt ?? '') } : null;
  } catch {
    return null;
  }
}

/**
 * Whether the lock's process still runs. A lock from another host (a shared folder) cannot be
 * checked, so it counts as alive: refusing is safe, taking over could corrupt the database.
 */
function isAlive(holder: LockContent): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}
