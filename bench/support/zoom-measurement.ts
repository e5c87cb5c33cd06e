import type { TileList } from './tile-list.js';

/**
 * Unmeasured run of each side before a zoom is measured: prepares the statement on every
 * connection, opens the keep-alive sockets, lets V8 optimise the hot paths and brings this
 * zoom's pages into PostgreSQL's cache.
 */
export const WARMUP_SECONDS = 2;

/**
 * What the report needs of one side at one zoom, whichever load generator measured it. A
 * field is null where that load generator does not tell (pgbench gives no latency
 * percentiles; neither wrk nor pgbench looks at the bodies).
 */
export interface SideStats {
  /** Tiles received without error, empty ones included. */
  readonly tileCount: number;
  /** The time those tiles took: tileCount / elapsedMs is the rate. */
  readonly elapsedMs: number;
  readonly errorCount: number;
  /** The first few failures, each with the tile or the count it concerns. */
  readonly errorSamples: readonly string[];
  readonly meanLatencyMs: number;
  readonly p50LatencyMs: number | null;
  readonly p99LatencyMs: number | null;
  /** Tiles without a feature: SQL null or empty, HTTP 204. */
  readonly emptyCount: number | null;
  /** Bodies received: raw MVT on the SQL side, gzip on the HTTP side. */
  readonly bodyBytes: number | null;
  /** HTTP bodies and headers as received (wrk counts only these). */
  readonly wireBytes: number | null;
}

/**
 * With `--load c` pgbench first looks the tile's bounds up in a table (it has no arrays), so
 * each SQL transaction is that lookup plus the statement. What the lookup costs, to judge the
 * SQL rate by.
 */
export interface LookupCost {
  /** Mean latency of the lookup inside the measured SQL runs (pgbench -r). */
  readonly inRunMeanMs: number;
  /** Lookups per second of a run of the lookup alone, same clients. */
  readonly aloneTxPerSecond: number;
}

/**
 * One run of a side by an external load tool (`--load c`) for whole `seconds`: failed requests
 * are counted in the result; rejects when the tool could not run at all, or on abort.
 */
export type RunSide<T extends SideStats = SideStats> = (seconds: number, signal: AbortSignal) => Promise<T>;

export interface ZoomMeasurement {
  readonly list: TileList;
  readonly sql: SideStats;
  readonly http: SideStats;
  /** Only with `--load c`. */
  readonly lookup: LookupCost | null;
}

/** `result` with the warm-up's failures added: a failure during warm-up is a failure too. */
export function withWarmupErrors<T extends Pick<SideStats, 'errorCount' | 'errorSamples'>>(result: T, warmup: Pick<SideStats, 'errorCount' | 'errorSamples'>): T {
  if (warmup.errorCount === 0) return result;
  return {
    ...result,
    errorCount: result.errorCount + warmup.errorCount,
    errorSamples: [...warmup.errorSamples.map((sample) => `(warm-up) ${sample}`), ...result.errorSamples],
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
export function percentile(sorted: Float64Array, share: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(share * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
