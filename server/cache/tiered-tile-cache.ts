import type { CachedTile } from './cached-tile.js';
import type { MemoryTier } from './memory-tier.js';
import { SingleFlight } from './single-flight.js';
import type { CacheObserver, CacheTier, TierCounts, TileCache } from './tile-cache.js';
import type { TileKey } from './tile-key.js';
import type { TileSelection } from './tile-selection.js';

/**
 * Memory first, then the shared tiers in order, then the computation. A hit in a shared tier
 * is copied into memory; a computed tile goes into every tier before the callers get it, so
 * that once one replica has answered, the others find the tile in the shared tier.
 */
export class TieredTileCache implements TileCache {
  private readonly memory: MemoryTier | null;
  private readonly shared: readonly CacheTier[];
  private readonly observer: CacheObserver;
  private readonly flights = new SingleFlight<CachedTile>();

  constructor({ memory, shared, observer }: { memory: MemoryTier | null; shared: readonly CacheTier[]; observer: CacheObserver }) {
    this.memory = memory;
    this.shared = shared;
    this.observer = observer;
  }

  getOrCompute(key: TileKey, compute: (signal: AbortSignal) => Promise<CachedTile>, signal?: AbortSignal): Promise<CachedTile> {
    if (this.memory) {
      const hit = this.memory.peek(key);
      this.observer.lookup('memory', hit ? 'hit' : 'miss');
      if (hit) return Promise.resolve(hit);
    }
    return this.flights.run(key.id, (flightSignal) => this.loadOrCompute(key, compute, flightSignal), signal);
  }

  peek(key: Pick<TileKey, 'id'>): CachedTile | undefined {
    const hit = this.memory?.peek(key);
    if (hit) this.observer.lookup('memory', 'hit');
    return hit;
  }

  async get(key: TileKey): Promise<CachedTile | undefined> {
    const hit = this.memory?.peek(key);
    if (hit) return hit;
    return this.readShared(key);
  }

  async put(key: TileKey, tile: CachedTile): Promise<void> {
    this.memory?.store(key, tile);
    await Promise.all(this.shared.map((tier) => tier.set(key, tile)));
  }

  async has(key: TileKey): Promise<boolean> {
    if (this.memory?.peek(key)) return true;
    for (const tier of this.shared) if (await tier.has(key)) return true;
    return false;
  }

  purge(selection: TileSelection): Promise<TierCounts> {
    return this.eachTier((tier) => tier.purge(selection));
  }

  sweep(isStale: (namespace: string) => boolean): Promise<TierCounts> {
    return this.eachTier((tier) => tier.sweep(isStale));
  }

  async close(): Promise<void> {
    await Promise.all(this.tiers().map((tier) => tier.close()));
  }

  /** Bytes held by the in-process tier. */
  get memoryBytes(): number {
    return this.memory?.sizeBytes ?? 0;
  }

  /** Computations running now. */
  get inFlightCount(): number {
    return this.flights.size;
  }

  private async loadOrCompute(key: TileKey, compute: (signal: AbortSignal) => Promise<CachedTile>, signal: AbortSignal): Promise<CachedTile> {
    const stored = await this.readShared(key);
    if (stored) return stored;
    const tile = await compute(signal);
    this.observer.computed();
    await this.put(key, tile);
    return tile;
  }

  private async readShared(key: TileKey): Promise<CachedTile | undefined> {
    for (const tier of this.shared) {
      const tile = await tier.get(key);
      this.observer.lookup(tier.name, tile ? 'hit' : 'miss');
      if (tile) {
        this.memory?.store(key, tile);
        return tile;
      }
    }
    return undefined;
  }

  private tiers(): CacheTier[] {
    return this.memory ? [this.memory, ...this.shared] : [...this.shared];
  }

  private async eachTier(action: (tier: CacheTier) => Promise<number>): Promise<TierCounts> {
    const counts: TierCounts = {};
    for (const tier of this.tiers()) counts[tier.name] = await action(tier);
    return counts;
  }
}

/** The cache when caching is off: every call computes; nothing is kept. */
export class UncachedTiles implements TileCache {
  readonly memoryBytes = 0;

  constructor(private readonly observer: CacheObserver) {}

  async getOrCompute(key: TileKey, compute: (signal: AbortSignal) => Promise<CachedTile>, signal?: AbortSignal): Promise<CachedTile> {
    const tile = await compute(signal ?? new AbortController().signal);
    this.observer.computed();
    return tile;
  }

  peek(): CachedTile | undefined {
    return undefined;
  }

  async get(): Promise<CachedTile | undefined> {
    return undefined;
  }

  async put(): Promise<void> {}

  async has(): Promise<boolean> {
    return false;
  }

  async purge(): Promise<TierCounts> {
    return {};
  }

  async sweep(): Promise<TierCounts> {
    return {};
  }

  async close(): Promise<void> {}
}
