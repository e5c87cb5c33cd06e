import { isAbsolute, join } from 'node:path';
import type { CacheConfig } from '../../core/config/cache-schema.js';
import type { Environment } from '../../core/config/load-config.js';
import type { Logger } from '../../core/logger.js';
import { projectRoot } from '../../core/project-root.js';
import { DiskTier } from './disk-tier.js';
import { MemoryTier } from './memory-tier.js';
import { RedisTier } from './redis-tier.js';
import type { CacheObserver, CacheTier, TileCache } from './tile-cache.js';
import { TieredTileCache, UncachedTiles } from './tiered-tile-cache.js';

export interface TileCacheDeps {
  readonly logger: Logger;
  readonly observer: CacheObserver;
  /** REDIS_URL overrides `cache.redis.url` (a password belongs in the environment). */
  readonly env?: Environment;
}

/** The tile cache the configuration asks for (`cache:` in config/default.yaml). */
/** Also says how many bytes the in-process tier holds (a metrics gauge). */
export function createTileCache(config: CacheConfig, { logger, observer, env = process.env }: TileCacheDeps): TileCache & { readonly memoryBytes: number } {
  if (!config.enabled) return new UncachedTiles(observer);
  const memory = config.memoryMaxBytes > 0 ? new MemoryTier(config.memoryMaxBytes) : null;
  const retryAfterMs = config.tierRetrySeconds * 1000;
  const shared: CacheTier[] = [];
  if (config.shared === 'disk') {
    const directory = isAbsolute(config.disk.directory) ? config.disk.directory : join(projectRoot, config.disk.directory);
    shared.push(new DiskTier({ directory, logger, observer, retryAfterMs }));
  } else if (config.shared === 'redis') {
    shared.push(new RedisTier({ ...config.redis, url: env.REDIS_URL || config.redis.url, retryAfterMs, logger, observer }));
  }
  return new TieredTileCache({ memory, shared, observer });
}
