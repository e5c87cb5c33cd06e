import { mergeResults, runLoad, TileCycle, toSideStats, type FetchTile } from './load-runner.js';
import type { TileList } from './tile-list.js';
import { WARMUP_SECONDS, withWarmupErrors, type ZoomMeasurement } from './zoom-measurement.js';

export interface BenchSides {
  readonly sql: FetchTile;
  readonly http: FetchTile;
}

/**
 * `--load node`: measures one zoom with the clients of this process (pg, node:http). A warm-up
 * of each side, then the measured time of each side split in two halves run in the order SQL,
 * HTTP, HTTP, SQL (ABBA). Whatever drifts during the zoom (cache warming, background work, CPU
 * clock) then weighs on both sides alike. Each side keeps its place in the tile list across
 * its halves, so both sides request the same tiles in the same order. Warm-up errors count as
 * errors too; its tiles and times do not count.
 */
export async function measureZoom(
  list: TileList,
  sides: BenchSides,
  { concurrency, seconds, signal }: { concurrency: number; seconds: number; signal: AbortSignal },
  progress: (message: string) => void,
): Promise<ZoomMeasurement> {
  // Every run ends early when the signal aborts (Ctrl-C); then no result is reported at all.
  const run = async (fetchTile: FetchTile, cycle: TileCycle, durationMs: number) => {
    const result = await runLoad(fetchTile, cycle, { concurrency, durationMs, signal });
    signal.throwIfAborted();
    return result;
  };
  const halfMs = (seconds * 1000) / 2;
  progress(`z${list.z}: ${list.tiles.length} of ${list.candidateCount} tiles on the data; ` +
    `warm-up ${WARMUP_SECONDS} s per side, then ${seconds} s per side (SQL, HTTP, HTTP, SQL)`);
  const sqlWarmup = await run(sides.sql, new TileCycle(list.tiles), WARMUP_SECONDS * 1000);
  const httpWarmup = await run(sides.http, new TileCycle(list.tiles), WARMUP_SECONDS * 1000);
  const sqlCycle = new TileCycle(list.tiles);
  const httpCycle = new TileCycle(list.tiles);
  const sqlFirst = await run(sides.sql, sqlCycle, halfMs);
  const httpFirst = await run(sides.http, httpCycle, halfMs);
  const httpSecond = await run(sides.http, httpCycle, halfMs);
  const sqlSecond = await run(sides.sql, sqlCycle, halfMs);
  return {
    list,
    sql: withWarmupErrors(toSideStats(mergeResults(sqlFirst, sqlSecond)), sqlWarmup),
    http: withWarmupErrors(toSideStats(mergeResults(httpFirst, httpSecond)), httpWarmup),
    lookup: null,
  };
}
