import { performance } from 'node:perf_hooks';
import type { TileCoord } from '../../core/grid/tile-matrix-set.js';
import { percentile, type SideStats } from './zoom-measurement.js';

/** What one request for a tile brought back. */
export interface TileResponse {
  /** Body bytes received (gzip-compressed on the HTTP side, raw MVT on the SQL side). */
  readonly bytes: number;
  /** The tile holds no feature: SQL returned null or an empty tile, HTTP answered 204. */
  readonly isEmpty: boolean;
}

/**
 * One side of the comparison. Resolves once the whole tile has been received; rejects on any
 * failure (an SQL error, an HTTP status other than 200 and 204, a socket error). `worker` is in
 * [0, concurrency), so that a side can give each worker its own connection.
 */
export type FetchTile = (tile: TileCoord, worker: number) => Promise<TileResponse>;

export interface LoadResult {
  /** Tiles received without error (empty ones included). */
  readonly tileCount: number;
  readonly emptyCount: number;
  readonly errorCount: number;
  /** The first few error messages, each with the tile that failed. */
  readonly errorSamples: readonly string[];
  readonly bytes: number;
  /** From the start until the last in-flight request finished. */
  readonly elapsedMs: number;
  /** One per tile received, in completion order. */
  readonly latenciesMs: readonly number[];
}

/** Error messages kept for the report; `errorCount` counts them all. */
const MAX_ERROR_SAMPLES = 5;

/**
 * Walks a tile list round and round. One cycle is shared by the workers of one side, so that
 * together they request the list in order; each side keeps its cycle across its runs, so both
 * sides cover the same tiles.
 */
export class TileCycle {
  private readonly tiles: readonly TileCoord[];
  private index = 0;

  constructor(tiles: readonly TileCoord[]) {
    if (tiles.length === 0) throw new Error('TileCycle needs at least one tile');
    this.tiles = tiles;
  }

  next(): TileCoord {
    const tile = this.tiles[this.index]!;
    this.index = (this.index + 1) % this.tiles.length;
    return tile;
  }
}

/**
 * Runs `concurrency` closed-loop workers (each sends its next request when the previous one
 * has finished) for `durationMs`, or until `signal` aborts; requests in flight at the deadline
 * are waited for and counted, and the elapsed time runs until the last one finished.
 */
export async function runLoad(
  fetchTile: FetchTile,
  cycle: TileCycle,
  { concurrency, durationMs, signal }: { concurrency: number; durationMs: number; signal?: AbortSignal },
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const errorSamples = new Set<string>();
  let emptyCount = 0;
  let errorCount = 0;
  let bytes = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const work = async (worker: number): Promise<void> => {
    while (performance.now() < deadline && !signal?.aborted) {
      const tile = cycle.next();
      const sent = performance.now();
      try {
        const response = await fetchTile(tile, worker);
        latenciesMs.push(performance.now() - sent);
        bytes += response.bytes;
        if (response.isEmpty) emptyCount += 1;
      } catch (error) {
        errorCount += 1;
        if (errorSamples.size < MAX_ERROR_SAMPLES) {
          errorSamples.add(`${tile.z}/${tile.x}/${tile.y}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, worker) => work(worker)));
  return {
    tileCount: latenciesMs.length,
    emptyCount,
    errorCount,
    errorSamples: [...errorSamples],
    bytes,
    elapsedMs: performance.now() - started,
    latenciesMs,
  };
}

/** Two runs of the same side as one: counts and times add up, latencies are pooled. */
export function mergeResults(a: LoadResult, b: LoadResult): LoadResult {
  return {
    tileCount: a.tileCount + b.tileCount,
    emptyCount: a.emptyCount + b.emptyCount,
    errorCount: a.errorCount + b.errorCount,
    errorSamples: [...new Set([...a.errorSamples, ...b.errorSamples])].slice(0, MAX_ERROR_SAMPLES),
    bytes: a.bytes + b.bytes,
    elapsedMs: a.elapsedMs + b.elapsedMs,
    latenciesMs: [...a.latenciesMs, ...b.latenciesMs],
  };
}

/** A run as the report reads it: latencies reduced to mean and nearest-rank percentiles. */
export function toSideStats(result: LoadResult): SideStats {
  const sorted = Float64Array.from(result.latenciesMs).sort();
  const sum = sorted.reduce((total, latency) => total + latency, 0);
  return {
    tileCount: result.tileCount,
    elapsedMs: result.elapsedMs,
    errorCount: result.errorCount,
    errorSamples: result.errorSamples,
    meanLatencyMs: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    p50LatencyMs: percentile(sorted, 0.5),
    p99LatencyMs: percentile(sorted, 0.99),
    emptyCount: result.emptyCount,
    bodyBytes: result.bytes,
    wireBytes: null,
  };
}
