import type { PgbenchSide, PgbenchStats } from './pgbench-load.js';
import type { TileList } from './tile-list.js';
import { WARMUP_SECONDS, withWarmupErrors, type RunSide, type ZoomMeasurement } from './zoom-measurement.js';

export interface ToolSides {
  readonly sql: PgbenchSide;
  readonly http: RunSide;
}

/** Measured seconds of each run: wrk and pgbench take whole seconds. */
export interface ToolPhases {
  readonly sqlHalfSeconds: number;
  readonly httpSeconds: number;
}

export function toolPhases(seconds: number): ToolPhases {
  return { sqlHalfSeconds: Math.max(1, Math.round(seconds / 2)), httpSeconds: Math.max(1, Math.round(seconds)) };
}

/**
 * `--load c`: measures one zoom with pgbench (SQL) and wrk (HTTP), each a process of its own.
 * A warm-up run of each side and a run of pgbench's tile lookup alone (its cost, see
 * LookupCost), then SQL for half the time, HTTP for the whole time, SQL for the other half
 * (ABA). Both sides are then centred on the same moment, so that drift during the zoom weighs
 * on both alike, as with the ABBA halves of `--load node`; and HTTP is one wrk run, whose own
 * latency percentiles need no merging. Each run starts its clients at the same evenly spread
 * places in the list. Warm-up errors count as errors; its tiles and times do not count.
 */
export async function measureZoomWithTools(
  list: TileList,
  sides: ToolSides,
  { seconds, signal }: { seconds: number; signal: AbortSignal },
  progress: (message: string) => void,
): Promise<ZoomMeasurement> {
  const { sqlHalfSeconds, httpSeconds } = toolPhases(seconds);
  progress(`z${list.z}: ${list.tiles.length} of ${list.candidateCount} tiles on the data; warm-up ${WARMUP_SECONDS} s per side ` +
    `and ${WARMUP_SECONDS} s of lookups alone, then SQL ${sqlHalfSeconds} s, HTTP ${httpSeconds} s, SQL ${sqlHalfSeconds} s`);
  const sqlWarmup = await sides.sql.run(WARMUP_SECONDS, signal);
  const httpWarmup = await sides.http(WARMUP_SECONDS, signal);
  const aloneTxPerSecond = await sides.sql.runLookupAlone(WARMUP_SECONDS, signal);
  const sqlFirst = await sides.sql.run(sqlHalfSeconds, signal);
  const http = await sides.http(httpSeconds, signal);
  const sqlSecond = await sides.sql.run(sqlHalfSeconds, signal);
  const sql = mergePgbenchRuns(sqlFirst, sqlSecond);
  return {
    list,
    sql: withWarmupErrors(sql, sqlWarmup),
    http: withWarmupErrors(http, httpWarmup),
    lookup: { inRunMeanMs: sql.lookupMeanMs, aloneTxPerSecond },
  };
}

/** Two runs as one: counts and times add up, mean latencies are weighted by transactions. */
function mergePgbenchRuns(a: PgbenchStats, b: PgbenchStats): PgbenchStats {
  const count = a.tileCount + b.tileCount;
  const weighted = (x: number, y: number) => (count > 0 ? (x * a.tileCount + y * b.tileCount) / count : Number.NaN);
  return {
    ...a,
    tileCount: count,
    elapsedMs: a.elapsedMs + b.elapsedMs,
    errorCount: a.errorCount + b.errorCount,
    errorSamples: [...a.errorSamples, ...b.errorSamples],
    meanLatencyMs: weighted(a.meanLatencyMs, b.meanLatencyMs),
    lookupMeanMs: weighted(a.lookupMeanMs, b.lookupMeanMs),
  };
}
