import type { AppConfig } from '../../core/config/load-config.js';
import { createServerMetrics, type ServerMetrics } from '../metrics/server-metrics.js';
import type { TileCache } from './tile-cache.js';
import { UncachedTiles } from './tiered-tile-cache.js';
import { VectorTileKeys } from './vector-tile-keys.js';

/** What the vector tile route needs besides the catalog: the cache, its keys, metrics, and how to store tiles. */
export interface TileServing {
  readonly tileCache: TileCache;
  readonly tileKeys: VectorTileKeys;
  readonly metrics: ServerMetrics;
  /** gzip level of computed vector tiles (cache.gzipLevel). */
  readonly gzipLevel: number;
}

/**
 * Fills in what `createApp` was not given: without a cache every tile is computed (tests of
 * other features, tools); without metrics a registry of the app's own, without process metrics.
 * `main.ts` passes both, so that the purge route and `/metrics` see the same ones.
 */
export function createTileServing(config: AppConfig, given: { tileCache?: TileCache; metrics?: ServerMetrics }): TileServing {
  const metrics = given.metrics ?? createServerMetrics({ tilesetIds: config.tilesets.map((tileset) => tileset.id), processMetrics: false });
  return {
    tileCache: given.tileCache ?? new UncachedTiles(metrics),
    tileKeys: new VectorTileKeys(config),
    metrics,
    gzipLevel: config.cache.gzipLevel,
  };
}
