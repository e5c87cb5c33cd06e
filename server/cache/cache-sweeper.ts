import type { Logger } from '../../core/logger.js';
import { isStaleRasterNamespace, type StyleRevision } from './raster-tile-staleness.js';
import type { TierCounts, TileCache } from './tile-cache.js';
import type { VectorTileKeys } from './vector-tile-keys.js';

export interface CacheSweeperOptions {
  readonly cache: TileCache;
  readonly keys: VectorTileKeys;
  /** The live version of each dataset, from the database (see readLiveVersions). */
  readonly readLiveVersions: () => Promise<ReadonlyMap<string, number>>;
  /** The current catalog; a new object means a publish or rollback was taken in. */
  readonly catalog: () => object;
  /** The styles served now, to judge cached raster tiles too; without it only vector tiles are swept. */
  readonly styles?: () => readonly StyleRevision[];
  readonly intervalMs: number;
  readonly logger: Logger;
}

/** How often the catalog is looked at for a rebuild (a reference comparison). */
const CATALOG_WATCH_MS = 1000;

/**
 * Removes entries of versions that are no longer live (vector tiles, and raster tiles of a
 * style revision or data version no longer served), in the background: soon after the
 * catalog is rebuilt (a publish or rollback) and every `intervalMs`. Judged against the live
 * versions in the database at sweep time, not this replica's catalog, so a replica that has
 * not yet taken in a publish cannot sweep away the new version's tiles that others wrote.
 * One sweep at a time; a request during a sweep runs one more afterwards.
 */
export class CacheSweeper {
  private running: Promise<TierCounts | null> | null = null;
  private isRequestedAgain = false;
  private timers: NodeJS.Timeout[] = [];
  private lastCatalog: object | null = null;

  constructor(private readonly options: CacheSweeperOptions) {}

  start(): void {
    this.lastCatalog = this.options.catalog();
    const every = (ms: number, action: () => void) => this.timers.push(setInterval(action, ms).unref());
    every(this.options.intervalMs, () => this.requestSweep());
    every(CATALOG_WATCH_MS, () => {
      const catalog = this.options.catalog();
      if (catalog === this.lastCatalog) return;
      this.lastCatalog = catalog;
      this.requestSweep();
    });
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  /** Starts a sweep unless one runs; then one more runs after it. */
  requestSweep(): void {
    if (this.running) {
      this.isRequestedAgain = true;
      return;
    }
    this.running = this.sweepOnce().finally(() => {
      this.running = null;
      if (this.isRequestedAgain) {
        this.isRequestedAgain = false;
        this.requestSweep();
      }
    });
  }

  /** Sweeps now and resolves with what was removed, or null when the database could not say what is live. */
  async sweepNow(): Promise<TierCounts | null> {
    while (this.running) await this.running;
    this.running = this.sweepOnce();
    try {
      return await this.running;
    } finally {
      this.running = null;
    }
  }

  private async sweepOnce(): Promise<TierCounts | null> {
    const { cache, keys, logger } = this.options;
    let live: ReadonlyMap<string, number>;
    try {
      live = await this.options.readLiveVersions();
    } catch (error) {
      logger.debug({ err: error }, 'tile cache sweep skipped: live versions unavailable');
      return null;
    }
    try {
      const styles = new Map((this.options.styles?.() ?? []).map((style) => [style.id, style]));
      const removed = await cache.sweep((namespace) => keys.isStale(namespace, live) || isStaleRasterNamespace(namespace, live, styles, keys));
      if (Object.values(removed).some((count) => count > 0)) logger.info({ removed }, 'tile cache: entries of retired versions removed');
      return removed;
    } catch (error) {
      logger.warn({ err: error }, 'tile cache sweep failed; it is retried at the next one');
      return null;
    }
  }
}
