import { LRUCache } from 'lru-cache';
import type { BucketConfig } from '../../core/config/access-schema.js';

/**
 * Token buckets in memory, one per key (a token id, a client address): each holds up to
 * `burst` requests and refills at `ratePerSecond`. Per process: with several replicas each
 * limits on its own (a shared limit would cost a Redis round trip per tile).
 */
export class TokenBuckets {
  private readonly buckets: LRUCache<string, { tokens: number; updatedMs: number }>;

  constructor(
    private readonly config: BucketConfig,
    maxKeys: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.buckets = new LRUCache({ max: maxKeys });
  }

  /** Takes one request from the key's bucket: 0 when allowed, else the seconds until one is (for Retry-After). */
  take(key: string): number {
    const now = this.now();
    const { ratePerSecond, burst } = this.config;
    const bucket = this.buckets.get(key);
    if (!bucket) {
      this.buckets.set(key, { tokens: burst - 1, updatedMs: now });
      return 0;
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * ratePerSecond);
    bucket.updatedMs = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
  }
}
