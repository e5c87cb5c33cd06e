import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MAX_ZOOM } from '../../core/grid/tile-matrix-set.js';
import type { CacheObserver, TierName } from '../cache/tile-cache.js';

/**
 * The server's Prometheus metrics, in a registry of its own (no module-level singleton; each
 * app, and each test, has its own). Label values come only from the configuration and from
 * validated numbers, never from request text, so the number of series is bounded: tileset =
 * a configured id or `composite`, zoom = 0..24, tier = memory | disk | redis.
 */
export interface ServerMetrics extends CacheObserver {
  readonly registry: Registry;
  /** One tile answered (any status but errors before the tileset was known). */
  observeTile(tilesetId: string, z: number, seconds: number): void;
}

export interface ServerMetricsOptions {
  /** Configured tileset ids: the only values of the `tileset` label. */
  readonly tilesetIds: readonly string[];
  /** Bytes in the in-process tier, read at scrape time. */
  readonly memoryBytes?: () => number;
  /** Node's process metrics (CPU, memory, event loop lag, GC); on by default. */
  readonly processMetrics?: boolean;
}

const TIERS: readonly TierName[] = ['memory', 'disk', 'redis'];

/** From a memory hit (~0.1 ms) to a statement near its deadline (15 s). */
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];

export function createServerMetrics({ tilesetIds, memoryBytes, processMetrics = true }: ServerMetricsOptions): ServerMetrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  // A memory hit is the whole work of most requests (server/routes/cached-tile-now.ts), and an
  // increment of a labelled counter costs prom-client a label check and a hash: those hits are
  // counted in a plain number and added when the counter is read (prom-client calls `collect`
  // before every scrape), so a scrape sees every hit.
  let memoryHitsPending = 0;
  const lookups = new Counter({
    name: 'planmap_tile_cache_lookups_total',
    help: 'Tile cache lookups by tier and outcome (a miss in one tier goes on to the next).',
    labelNames: ['tier', 'result'] as const,
    registers: [registry],
    collect() {
      if (memoryHitsPending === 0) return;
      this.inc({ tier: 'memory', result: 'hit' }, memoryHitsPending);
      memoryHitsPending = 0;
    },
  });
  const corrupt = new Counter({
    name: 'planmap_tile_cache_corrupt_entries_total',
    help: 'Stored entries that failed their checks (truncated, garbage), discarded and recomputed.',
    labelNames: ['tier'] as const,
    registers: [registry],
  });
  const computed = new Counter({
    name: 'planmap_tiles_computed_total',
    help: 'Tiles computed because no tier held them.',
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'planmap_tile_duration_seconds',
    help: 'Time from request to response of vector tiles, by tileset and zoom.',
    labelNames: ['tileset', 'zoom'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  if (memoryBytes) {
    new Gauge({
      name: 'planmap_tile_cache_memory_bytes',
      help: 'Bytes of tiles held in the in-process tier.',
      registers: [registry],
      collect() {
        this.set(memoryBytes());
      },
    });
  }
  // Label children made once: the hot path only increments.
  const hitCounters = new Map(TIERS.map((tier) => [tier, lookups.labels(tier, 'hit')]));
  const missCounters = new Map(TIERS.map((tier) => [tier, lookups.labels(tier, 'miss')]));
  const corruptCounters = new Map(TIERS.map((tier) => [tier, corrupt.labels(tier)]));
  const knownTilesets = new Set(tilesetIds);
  const durationChildren = new Map<string, ReturnType<typeof duration.labels>>();

  return {
    registry,
    lookup(tier, outcome) {
      if (tier === 'memory' && outcome === 'hit') memoryHitsPending++;
      else (outcome === 'hit' ? hitCounters : missCounters).get(tier)!.inc();
    },
    corrupt(tier) {
      corruptCounters.get(tier)!.inc();
    },
    computed() {
      computed.inc();
    },
    observeTile(tilesetId, z, seconds) {
      const tileset = knownTilesets.has(tilesetId) ? tilesetId : tilesetId.includes(',') ? 'composite' : null;
      if (tileset === null || !Number.isInteger(z) || z < 0 || z > MAX_ZOOM) return;
      const memo = `${tileset}/${z}`;
      let child = durationChildren.get(memo);
      if (!child) {
        child = duration.labels(tileset, String(z));
        durationChildren.set(memo, child);
      }
      child.observe(seconds);
    },
  };
}
