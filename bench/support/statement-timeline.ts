import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Pool } from '../../core/db/pool.js';

/**
 * Where an import spends its time, seen from outside the pipeline: every statement a client of
 * the pool sends is stamped when it is sent and when it completes, with the CPU time used so far
 * by this process and by that client's PostgreSQL backend. A phase's seconds are the time its
 * statements were in flight, each on its own connection: the QA checks run on two connections at
 * once, so their rows overlap (a separate span row gives QA's wall time), and the time between
 * statements (JavaScript, round trips) is a row of its own. Reading the Shapefile happens inside
 * the COPY, so it counts there.
 *
 * The phases are recognised by the text of the pipeline's statements (PHASES below); a
 * statement no pattern knows counts as "other". This is a diagnostic for the benchmark: when
 * the pipeline's SQL changes, update the patterns, not the pipeline.
 */

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;
/** Fields 14 and 15 of /proc/<pid>/stat, counted after the ")" that ends the command name. */
const OFFSET_UTIME = 11;
const OFFSET_STIME = 12;

/** The phase of a statement: the first pattern its text matches, in this order. */
const PHASES: readonly (readonly [string, RegExp])[] = [
  ['read + COPY to staging', /^COPY /],
  ['coordinate checks (parse, extent, resolution)', /ST_Extent\(geom_src\)|ST_DumpPoints\(geom_src\)/],
  ['work table: parse, repair, transform to 4490', /^CREATE UNLOGGED TABLE .*__work_|^INSERT INTO .*__work_/s],
  ['GiST index + analyze', /^CREATE INDEX ON .*__work_|^ANALYZE .*__work_/s],
  ['QA rejectedFeatures', /no usable polygon|'no geometry'/],
  ['QA repairedGeometries', /was_invalid AND geom IS NOT NULL/],
  ['QA duplicateKeys', /also in/],
  ['QA unknownClassCodes', /is not a 三调 class/],
  ['QA areaMismatch', /on the ellipsoid/],
  ['QA slivers', /area_m2 < /],
  ['QA overlaps', /ST_Relate\(/],
  ['QA outsideCounty', /m² outside /],
  ['QA precisionLoss', /ST_HausdorffDistance/],
  ['QA other (columns, counts)', /jsonb_object_keys|AS loaded FROM|information_schema\.columns/],
];
/** Inside the publishing transaction (BEGIN to COMMIT). */
const PUBLISH_PHASES: readonly (readonly [string, RegExp])[] = [
  ['publish: fill version table (+ EPSG:3857 column)', /^INSERT INTO "data"\./],
  ['publish: GiST indexes (4490, 3857)', /^CREATE INDEX /],
  ['publish: analyze, extent', /^ANALYZE |^SELECT feature_count/],
];
const PUBLISH_OTHER = 'publish: other (reserve, swap, prune, commit)';
const SETUP = 'setup (lock, job, staging table)';
const FINISH = 'finish (job record, drop work tables)';
const OTHER = 'other';
const BETWEEN = 'between statements (JavaScript, round trips)';
const QA_SPAN = 'QA, all checks: wall clock (the rows above overlap)';

interface Stamp {
  readonly phase: string;
  readonly sentMs: number;
  doneMs: number | null;
  readonly processCpuSentMs: number;
  processCpuDoneMs: number | null;
  readonly backendPid: number | null;
  readonly backendCpuSentMs: number | null;
  backendCpuDoneMs: number | null;
}

/** When statements were in flight, and this process's CPU time then. */
interface Interval {
  readonly fromMs: number;
  readonly toMs: number;
  readonly fromCpuMs: number;
  readonly toCpuMs: number;
}

export interface PhaseTiming {
  readonly phase: string;
  /** Time its statements were in flight, summed (a statement that never completed: to the end). */
  readonly seconds: number;
  /** CPU seconds of the importing Node process while its statements were in flight. */
  readonly processCpuSeconds: number;
  /**
   * CPU seconds of the PostgreSQL backends serving its statements (not of parallel workers they
   * may start); null when /proc cannot tell (another machine, another user's processes).
   */
  readonly backendCpuSeconds: number | null;
  readonly statements: number;
  /** A span across other rows (QA's wall clock), not part of the total. */
  readonly isSpan?: boolean;
}

export class StatementTimeline {
  private readonly stamps: Stamp[] = [];
  private readonly instrumented = new WeakSet<pg.PoolClient>();
  private readonly onAcquire = (client: pg.PoolClient) => this.instrument(client);
  private attachedPool: Pool | null = null;
  private isAttached = false;
  private firstFailedPhase: string | null = null;
  /** Clients inside the publishing transaction (BEGIN to COMMIT), which runs beside the QA checks. */
  private readonly publishing = new WeakSet<pg.PoolClient>();
  private hasPublished = false;
  private hasCopied = false;

  /** Stamps every statement of every client `pool` hands out from now on. */
  attach(pool: Pool): void {
    this.attachedPool = pool;
    this.isAttached = true;
    pool.on('acquire', this.onAcquire);
  }

  /** Stops stamping (work after the import, such as the analysis, stays out of the phases). */
  detach(): void {
    this.isAttached = false;
    this.attachedPool?.removeListener('acquire', this.onAcquire);
  }

  /** The phase of the first statement that failed, else of the last one sent: where a failed import was. */
  failedPhase(): string | null {
    return this.firstFailedPhase ?? this.stamps.at(-1)?.phase ?? null;
  }

  /** The phases in the order they first ran, up to `endMs` (performance.now()), then the time between statements and QA's span. */
  phases(endMs: number, endProcessCpuMs: number): PhaseTiming[] {
    const byPhase = new Map<string, { seconds: number; processCpuSeconds: number; backendCpuSeconds: number | null; statements: number }>();
    const intervals: Interval[] = [];
    for (const stamp of this.stamps) {
      const doneMs = stamp.doneMs ?? endMs;
      const processCpuDoneMs = stamp.processCpuDoneMs ?? endProcessCpuMs;
      const entry = byPhase.get(stamp.phase) ?? { seconds: 0, processCpuSeconds: 0, backendCpuSeconds: 0, statements: 0 };
      entry.seconds += (doneMs - stamp.sentMs) / 1000;
      entry.processCpuSeconds += (processCpuDoneMs - stamp.processCpuSentMs) / 1000;
      entry.backendCpuSeconds = entry.backendCpuSeconds === null || stamp.backendCpuSentMs === null || stamp.backendCpuDoneMs === null
        ? null
        : entry.backendCpuSeconds + (stamp.backendCpuDoneMs - stamp.backendCpuSentMs) / 1000;
      entry.statements++;
      byPhase.set(stamp.phase, entry);
      intervals.push({ fromMs: stamp.sentMs, toMs: doneMs, fromCpuMs: stamp.processCpuSentMs, toCpuMs: processCpuDoneMs });
    }
    const timings: PhaseTiming[] = [...byPhase].map(([phase, entry]) => ({ phase, ...entry }));
    const first = this.stamps[0];
    if (first) {
      // Time no statement was in flight: the whole minus the union of the statements' intervals.
      let busyMs = 0;
      let busyCpuMs = 0;
      let current: Interval | null = null;
      for (const interval of [...intervals].sort((a, b) => a.fromMs - b.fromMs)) {
        if (current && interval.fromMs <= current.toMs) {
          if (interval.toMs > current.toMs) current = { fromMs: current.fromMs, fromCpuMs: current.fromCpuMs, toMs: interval.toMs, toCpuMs: interval.toCpuMs };
          continue;
        }
        if (current) {
          busyMs += current.toMs - current.fromMs;
          busyCpuMs += current.toCpuMs - current.fromCpuMs;
        }
        current = interval;
      }
      if (current) {
        busyMs += current.toMs - current.fromMs;
        busyCpuMs += current.toCpuMs - current.fromCpuMs;
      }
      timings.push({
        phase: BETWEEN,
        seconds: (endMs - first.sentMs - busyMs) / 1000,
        processCpuSeconds: (endProcessCpuMs - first.processCpuSentMs - busyCpuMs) / 1000,
        backendCpuSeconds: 0,
        statements: 0,
      });
    }
    const qa = this.stamps.filter((stamp) => stamp.phase.startsWith('QA '));
    if (qa.length > 0) {
      const fromMs = Math.min(...qa.map((stamp) => stamp.sentMs));
      const toMs = Math.max(...qa.map((stamp) => stamp.doneMs ?? endMs));
      timings.push({ phase: QA_SPAN, seconds: (toMs - fromMs) / 1000, processCpuSeconds: 0, backendCpuSeconds: null, statements: qa.length, isSpan: true });
    }
    return timings;
  }

  private instrument(client: pg.PoolClient): void {
    if (this.instrumented.has(client)) return;
    this.instrumented.add(client);
    const send = client.query.bind(client) as (...args: unknown[]) => unknown;
    // An own property on this one client object, not a change to pg: the pipeline calls
    // client.query, and each call is stamped before it goes out and when it completes.
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (!this.isAttached) return send(...args);
      const stamp = this.stamp(statementText(args[0]), client);
      const done = () => this.complete(stamp);
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        // pg-pool's pool.query passes a callback and gets no promise back.
        args[args.length - 1] = (error: unknown, ...rest: unknown[]) => {
          done();
          if (error) this.firstFailedPhase ??= stamp.phase;
          return (callback as (...values: unknown[]) => unknown)(error, ...rest);
        };
      }
      const result = send(...args);
      if (result instanceof Promise) {
        // Noted on a branch of the promise; the caller still sees the rejection.
        result.then(done, () => {
          done();
          this.firstFailedPhase ??= stamp.phase;
        });
      } else if (isEventEmitter(result)) {
        // A submittable (COPY FROM STDIN, a cursor stream): done when it finishes or fails.
        for (const event of ['finish', 'end', 'close']) result.once(event, done);
        result.once('error', () => {
          done();
          this.firstFailedPhase ??= stamp.phase;
        });
      }
      return result;
    };
  }

  private stamp(text: string, client: pg.PoolClient): Stamp {
    // pg's Client knows its backend's pid once connected (BackendKeyData).
    const pid = (client as unknown as { processID?: number | null }).processID ?? null;
    const stamp: Stamp = {
      phase: this.phaseOf(text.trim(), client),
      sentMs: performance.now(),
      doneMs: null,
      processCpuSentMs: processCpuMs(),
      processCpuDoneMs: null,
      backendPid: pid,
      backendCpuSentMs: pid === null ? null : cpuMsOfProcess(pid),
      backendCpuDoneMs: null,
    };
    this.stamps.push(stamp);
    return stamp;
  }

  private complete(stamp: Stamp): void {
    if (stamp.doneMs !== null) return;
    stamp.doneMs = performance.now();
    stamp.processCpuDoneMs = processCpuMs();
    stamp.backendCpuDoneMs = stamp.backendPid === null ? null : cpuMsOfProcess(stamp.backendPid);
  }

  private phaseOf(text: string, client: pg.PoolClient): string {
    if (text === 'BEGIN') this.publishing.add(client);
    if (this.publishing.has(client)) {
      if (text === 'COMMIT' || text === 'ROLLBACK') {
        this.publishing.delete(client);
        this.hasPublished = true;
      }
      return PUBLISH_PHASES.find(([, pattern]) => pattern.test(text))?.[0] ?? PUBLISH_OTHER;
    }
    const match = PHASES.find(([, pattern]) => pattern.test(text));
    if (match) {
      if (match === PHASES[0]) this.hasCopied = true;
      return match[0];
    }
    if (this.hasPublished) return FINISH;
    return this.hasCopied ? OTHER : SETUP;
  }
}

function isEventEmitter(value: unknown): value is { once(event: string, listener: () => void): unknown } {
  return typeof (value as { once?: unknown } | null)?.once === 'function';
}

/** The SQL of a query(...) call: a string, a config object, or a submittable such as COPY. */
function statementText(first: unknown): string {
  if (typeof first === 'string') return first;
  const text = (first as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : '';
}

export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** user + system CPU milliseconds of a process from /proc (Linux), or null elsewhere or when it has gone. */
export function cpuMsOfProcess(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[OFFSET_UTIME]) + Number(fields[OFFSET_STIME])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
