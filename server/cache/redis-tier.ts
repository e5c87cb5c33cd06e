import { Redis } from 'ioredis';
import type { Logger } from '../../core/logger.js';
import type { CachedTile } from './cached-tile.js';
import { CorruptEntryError, decodeEntry, encodeEntry } from './entry-codec.js';
import type { CacheObserver, CacheTier } from './tile-cache.js';
import { parseTileKey, type TileKey } from './tile-key.js';
import type { TileSelection } from './tile-selection.js';
import { TierHealth } from './tier-health.js';

export interface RedisTierOptions {
  readonly url: string;
  /** Prepended to every key (`planmap:`); entries are `{prefix}tile:{key}`. */
  readonly keyPrefix: string;
  /** A slower answer counts as a miss. */
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Expiry of entries; 0 for none. */
  readonly ttlSeconds: number;
  /** Longest pause between reconnection attempts, and the pause after a timed-out command. */
  readonly retryAfterMs: number;
  readonly logger: Logger;
  readonly observer: CacheObserver;
}

/** Keys per SCAN step and per UNLINK of the sweep and purge. */
const SCAN_BATCH = 1000;

/**
 * The shared tier in Redis, for several replicas. Requests never wait for Redis to come back:
 * the offline queue is off, so a command while disconnected fails at once (a miss), commands
 * have a short timeout, and ioredis reconnects in the background with a capped back-off. The
 * outage is logged once (TierHealth), not per request.
 */
export class RedisTier implements CacheTier {
  readonly name = 'redis' as const;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private readonly observer: CacheObserver;
  private readonly health: TierHealth;

  constructor(options: RedisTierOptions) {
    this.prefix = `${options.keyPrefix}tile:`;
    this.ttlSeconds = options.ttlSeconds;
    this.observer = options.observer;
    this.health = new TierHealth('redis', options.logger, options.retryAfterMs);
    this.redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: options.connectTimeoutMs,
      maxRetriesPerRequest: 0,
      connectionName: 'planmap-tile-cache',
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 10), options.retryAfterMs),
    });
    this.redis.on('error', (error: unknown) => this.health.failed(error));
    let isFirstConnection = true;
    this.redis.on('ready', () => {
      if (isFirstConnection) options.logger.info({ tier: 'redis' }, 'tile cache: redis tier connected');
      isFirstConnection = false;
      this.health.succeeded();
    });
    // The first connection attempt runs in the background; until it succeeds every lookup is a miss.
    this.redis.connect().catch(() => undefined);
  }

  /** True once connected and answering (tests wait for it after a reconnect). */
  get isReady(): boolean {
    return this.redis.status === 'ready' && !this.health.isBypassed();
  }

  /** Resolves when the connection is (again) ready. */
  whenReady(): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.redis.once('ready', () => resolve()));
  }

  /** Resolves at the next failed connection attempt or connection error (tests of the outage). */
  whenConnectionFails(): Promise<void> {
    return new Promise((resolve) => this.redis.once('error', () => resolve()));
  }

  async get(key: TileKey): Promise<CachedTile | undefined> {
    if (!this.isReady) return undefined;
    const redisKey = this.prefix + key.id;
    let entry: Buffer | null;
    try {
      entry = await this.redis.getBuffer(redisKey);
    } catch (error) {
      this.health.failed(error);
      return undefined;
    }
    if (!entry) return undefined;
    try {
      return decodeEntry(key.id, entry);
    } catch (error) {
      if (!(error instanceof CorruptEntryError)) throw error;
      this.observer.corrupt('redis');
      await this.redis.unlink(redisKey).catch(() => undefined);
      return undefined;
    }
  }

  async set(key: TileKey, tile: CachedTile): Promise<void> {
    if (!this.isReady) return;
    const redisKey = this.prefix + key.id;
    const entry = encodeEntry(key.id, tile);
    try {
      if (this.ttlSeconds > 0) await this.redis.set(redisKey, entry, 'EX', this.ttlSeconds);
      else await this.redis.set(redisKey, entry);
    } catch (error) {
      this.health.failed(error);
    }
  }

  async has(key: TileKey): Promise<boolean> {
    if (!this.isReady) return false;
    try {
      return (await this.redis.exists(this.prefix + key.id)) === 1;
    } catch (error) {
      this.health.failed(error);
      return false;
    }
  }

  async purge(selection: TileSelection): Promise<number> {
    return this.deleteWhere((id) => {
      const key = parseTileKey(id);
      return key !== null && selection.matchesKey(key);
    });
  }

  async sweep(isStale: (namespace: string) => boolean): Promise<number> {
    return this.deleteWhere((id) => {
      const namespaceEnd = id.indexOf('/', id.indexOf('/') + 1);
      return namespaceEnd > 0 && isStale(id.slice(0, namespaceEnd));
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** SCANs this deployment's tile keys and UNLINKs those `doomed` picks, a batch at a time. */
  private async deleteWhere(doomed: (id: string) => boolean): Promise<number> {
    if (this.redis.status !== 'ready') throw new Error(`the Redis tile cache is not reachable (${this.redis.status})`);
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${escapeGlob(this.prefix)}*`, 'COUNT', SCAN_BATCH);
      cursor = next;
      const victims = keys.filter((redisKey) => doomed(redisKey.slice(this.prefix.length)));
      if (victims.length > 0) removed += await this.redis.unlink(...victims);
    } while (cursor !== '0');
    return removed;
  }
}

/** SCAN MATCH is a glob: the prefix's own characters must match literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
