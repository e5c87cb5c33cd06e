import { LRUCache } from 'lru-cache';
import { cachedTileBytes, type CachedTile } from './cached-tile.js';
import type { CacheTier } from './tile-cache.js';
import type { TileKey } from './tile-key.js';
import type { TileSelection } from './tile-selection.js';

interface MemoryEntry {
  readonly key: TileKey;
  readonly tile: CachedTile;
}

/**
 * The in-process tier: an LRU bounded in bytes of stored tiles. Entries of retired versions
 * are never read again and age out, or go at the next sweep.
 */
export class MemoryTier implements CacheTier {
  readonly name = 'memory' as const;
  private readonly lru: LRUCache<string, MemoryEntry>;

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, MemoryEntry>({
      maxSize: maxBytes,
      sizeCalculation: (entry) => cachedTileBytes(entry.tile, entry.key.id.length),
    });
  }

  /** Synchronous lookup for the hot path. */
  peek(key: Pick<TileKey, 'id'>): CachedTile | undefined {
    return this.lru.get(key.id)?.tile;
  }

  async get(key: TileKey): Promise<CachedTile | undefined> {
    return this.peek(key);
  }

  /** An entry larger than the whole bound is not kept (lru-cache refuses it). */
  async set(key: TileKey, tile: CachedTile): Promise<void> {
    this.store(key, tile);
  }

  store(key: TileKey, tile: CachedTile): void {
    this.lru.set(key.id, { key, tile });
  }

  async has(key: TileKey): Promise<boolean> {
    return this.lru.has(key.id);
  }

  async purge(selection: TileSelection): Promise<number> {
    return this.deleteWhere((key) => selection.matchesKey(key));
  }

  async sweep(isStale: (namespace: string) => boolean): Promise<number> {
    return this.deleteWhere((key) => isStale(key.namespace));
  }

  /** Bytes held now (the LRU's accounting). */
  get sizeBytes(): number {
    return this.lru.calculatedSize;
  }

  async close(): Promise<void> {
    this.lru.clear();
  }

  private deleteWhere(predicate: (key: TileKey) => boolean): number {
    const doomed: string[] = [];
    for (const [id, entry] of this.lru.entries()) if (predicate(entry.key)) doomed.push(id);
    for (const id of doomed) this.lru.delete(id);
    return doomed.length;
  }
}
