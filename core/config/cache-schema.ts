import { z } from 'zod';

/**
 * `cache:` in the configuration: the tile cache (server/cache). Every key has a default, so a
 * configuration without the section gets an in-memory tier in front of a disk tier.
 */

const diskTierSchema = z.strictObject({
  /** Folder of the disk tier (relative to the project root); made when missing. */
  directory: z.string().min(1).default('cache/tiles'),
});

const redisTierSchema = z.strictObject({
  /** Used when REDIS_URL is not set in the environment (a URL with a password belongs there). */
  url: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  /** Prepended to every key, so several deployments can share one Redis. */
  keyPrefix: z.string().regex(/^[A-Za-z0-9_:.-]{1,64}$/, 'must be 1 to 64 of [A-Za-z0-9_:.-]').default('planmap:'),
  /** A command slower than this counts as a miss (the tile is computed instead). */
  commandTimeoutMs: z.number().int().min(10).max(10_000).default(250),
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(2000),
  /** Entries expire after this (0: never); a safety net behind the sweep of retired versions. */
  ttlSeconds: z.number().int().min(0).default(7 * 24 * 3600),
});

export const cacheSchema = z.strictObject({
  /** false: every tile is computed (benchmarks of the uncached path). */
  enabled: z.boolean().default(true),
  /** In-process LRU bound, in bytes of stored (compressed) tiles; 0 turns the tier off. */
  memoryMaxBytes: z.number().int().min(0).default(256 * 1024 * 1024),
  /** The tier that outlives the process and is shared by replicas: disk, redis or none. */
  shared: z.enum(['disk', 'redis', 'none']).default('disk'),
  disk: diskTierSchema.default(diskTierSchema.parse({})),
  redis: redisTierSchema.default(redisTierSchema.parse({})),
  /** gzip level of stored tiles (1 fastest .. 9 smallest); a tile is compressed once, when computed. */
  gzipLevel: z.number().int().min(1).max(9).default(6),
  /** Background removal of entries of versions no longer live, besides the one after each publish. */
  sweepIntervalSeconds: z.number().int().min(10).default(600),
  /** A shared tier that failed (disk full or read-only, Redis down) is tried again after this. */
  tierRetrySeconds: z.number().int().min(1).default(30),
});

export type CacheConfig = z.output<typeof cacheSchema>;
