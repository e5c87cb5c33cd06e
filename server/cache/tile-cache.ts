import type { CachedTile } from './cached-tile.js';
import type { TileKey } from './tile-key.js';
import type { TileSelection } from './tile-selection.js';

/**
 * The tile cache seen from routes, seeding and export. Keys come from `buildTileKey` (and for
 * vector tiles from `VectorTileKeys`), so they change with every publish: nothing here ever
 * has to be invalidated for freshness; `purge` is for operators, `sweep` frees space.
 */
export interface TileCache {
  /**
   * The tile under `key`, from the first tier that holds it, else computed by `compute` and
   * stored in every tier. Concurrent calls for one key share one computation; `signal` ends
   * only this caller's wait (the computation is cancelled when every caller has gone). A
   * rejected computation is never stored: the next call computes again.
   */
  getOrCompute(key: TileKey, compute: (signal: AbortSignal) => Promise<CachedTile>, signal?: AbortSignal): Promise<CachedTile>;
  /** The tile when the in-process tier holds it, synchronously (no I/O; counted as a memory hit). */
  peek(key: Pick<TileKey, 'id'>): CachedTile | undefined;
  /** The stored tile, or undefined; never computes. */
  get(key: TileKey): Promise<CachedTile | undefined>;
  /** Stores a tile in every tier (seeding). */
  put(key: TileKey, tile: CachedTile): Promise<void>;
  /** Whether a tier holds the key (seeding skips what is there, so it can resume). */
  has(key: TileKey): Promise<boolean>;
  /** Removes the selected entries from every tier; the count removed per tier. */
  purge(selection: TileSelection): Promise<TierCounts>;
  /** Removes every entry whose namespace `isStale` says is no longer live; the count per tier. */
  sweep(isStale: (namespace: string) => boolean): Promise<TierCounts>;
  close(): Promise<void>;
}

export type TierName = 'memory' | 'disk' | 'redis';

export type TierCounts = Partial<Record<TierName, number>>;

/**
 * One place tiles are kept. A shared tier that fails (disk full, Redis down) never fails a
 * request: `get` resolves undefined, `set` resolves, and the tier logs the outage once and
 * is bypassed until it works again. Only `purge` and `sweep`, which operators wait for,
 * reject when the tier cannot be reached.
 */
export interface CacheTier {
  readonly name: TierName;
  get(key: TileKey): Promise<CachedTile | undefined>;
  set(key: TileKey, tile: CachedTile): Promise<void>;
  has(key: TileKey): Promise<boolean>;
  purge(selection: TileSelection): Promise<number>;
  sweep(isStale: (namespace: string) => boolean): Promise<number>;
  close(): Promise<void>;
}

/** What the cache tells metrics; no-ops by default. */
export interface CacheObserver {
  lookup(tier: TierName, outcome: 'hit' | 'miss'): void;
  /** A stored entry failed its checks and was discarded. */
  corrupt(tier: TierName): void;
  /** A tile was computed (a miss in every tier). */
  computed(): void;
}

export const NO_CACHE_OBSERVER: CacheObserver = { lookup() {}, corrupt() {}, computed() {} };
