import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import type { CachedTile } from './cached-tile.js';
import { CorruptEntryError, decodeEntry, encodeEntry } from './entry-codec.js';
import type { CacheObserver, CacheTier } from './tile-cache.js';
import type { TileKey } from './tile-key.js';
import type { TileSelection } from './tile-selection.js';
import { TierHealth } from './tier-health.js';

export interface DiskTierOptions {
  /** Absolute folder of the tier; made when missing. */
  readonly directory: string;
  readonly logger: Logger;
  readonly observer: CacheObserver;
  /** Pause after a failure (disk full, read-only) before trying the tier again. */
  readonly retryAfterMs: number;
  readonly now?: () => number;
}

/**
 * The shared tier on disk: one file per tile at `{directory}/{key}`, that is
 * `{tileset}/{versions}/{grid}/{z}/{x}/{y}.{format}`, so folders shard by tileset, version,
 * zoom and column (at most 2^z files per folder, as tile servers' file caches do) and a
 * retired version is one folder to remove. Files are written to a temporary name and renamed,
 * so a reader never sees half a tile; a crash leaves at most a `.tmp` file that the sweep of
 * its version removes.
 */
export class DiskTier implements CacheTier {
  readonly name = 'disk' as const;
  private readonly directory: string;
  private readonly observer: CacheObserver;
  private readonly health: TierHealth;

  constructor({ directory, logger, observer, retryAfterMs, now }: DiskTierOptions) {
    this.directory = directory;
    this.observer = observer;
    this.health = new TierHealth('disk', logger, retryAfterMs, now);
  }

  async get(key: TileKey): Promise<CachedTile | undefined> {
    if (this.health.isBypassed()) return undefined;
    const path = this.pathOf(key);
    let entry: Buffer;
    try {
      entry = await readFile(path);
    } catch (error) {
      if (!isAbsent(error)) this.health.failed(error);
      return undefined;
    }
    try {
      return decodeEntry(key.id, entry);
    } catch (error) {
      if (!(error instanceof CorruptEntryError)) throw error;
      this.observer.corrupt('disk');
      await unlink(path).catch(() => undefined);
      return undefined;
    }
  }

  async set(key: TileKey, tile: CachedTile): Promise<void> {
    if (this.health.isBypassed()) return;
    const path = this.pathOf(key);
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const entry = encodeEntry(key.id, tile);
    try {
      try {
        await writeFile(temporary, entry);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        // First tile of its column: make the folders, then write (cheaper than mkdir every time).
        await mkdir(dirname(path), { recursive: true });
        await writeFile(temporary, entry);
      }
      await rename(temporary, path);
      this.health.succeeded();
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      this.health.failed(error);
    }
  }

  async has(key: TileKey): Promise<boolean> {
    if (this.health.isBypassed()) return false;
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch {
      return false;
    }
  }

  /** Walks only the folders the selection can match: tileset, then zoom, column and row ranges. */
  async purge(selection: TileSelection): Promise<number> {
    let removed = 0;
    for (const tileset of await listDirectory(this.directory)) {
      if (!selection.matchesTileset(tileset)) continue;
      for (const versions of await listDirectory(join(this.directory, tileset))) {
        const namespaceDir = join(this.directory, tileset, versions);
        for (const grid of await listDirectory(namespaceDir)) {
          removed += await this.purgeGrid(join(namespaceDir, grid), grid, selection);
        }
      }
    }
    return removed;
  }

  /** Removes whole version folders whose namespace is stale; returns the count of folders. */
  async sweep(isStale: (namespace: string) => boolean): Promise<number> {
    let removed = 0;
    for (const tileset of await listDirectory(this.directory)) {
      for (const versions of await listDirectory(join(this.directory, tileset))) {
        if (!isStale(`${tileset}/${versions}`)) continue;
        await rm(join(this.directory, tileset, versions), { recursive: true, force: true });
        removed += 1;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}

  private async purgeGrid(gridDir: string, grid: string, selection: TileSelection): Promise<number> {
    let removed = 0;
    for (const zText of await listDirectory(gridDir)) {
      const z = Number(zText);
      if (!Number.isInteger(z) || !selection.includesZoom(z)) continue;
      const range = selection.tileRange(grid, z);
      for (const xText of await listDirectory(join(gridDir, zText))) {
        const x = Number(xText);
        if (range && !(x >= range.minX && x <= range.maxX)) continue;
        const columnDir = join(gridDir, zText, xText);
        for (const file of await listDirectory(columnDir)) {
          const y = Number.parseInt(file, 10);
          if (range && !(y >= range.minY && y <= range.maxY)) continue;
          await unlink(join(columnDir, file)).catch(() => undefined);
          if (!file.endsWith('.tmp')) removed += 1;
        }
      }
    }
    return removed;
  }

  private pathOf(key: TileKey): string {
    // Key parts are limited to a safe alphabet (tile-key.ts): no `..`, no separators.
    return join(this.directory, key.id);
  }
}

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Entry names of a folder; none when it does not exist. */
async function listDirectory(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (isAbsent(error)) return [];
    throw error;
  }
}
