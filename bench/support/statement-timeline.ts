import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Pool } from '../../core/db/pool.js';

/**
 * Where an import spends its time, seen from outside the pipeline: every statement a client of
 * the pool sends is stamped when it is sent, with the CPU time used so far by this process and
 * by the client's PostgreSQL backend. A phase runs from its first statement to the first
 * statement of the next phase, so the phases add up to the whole import, the JavaScript work
 * between statements included (reading the Shapefile happens inside the COPY).
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
  ['work table: parse, repair, transform to 4490', /^CREATE UNLOGGED TABLE .*__work_/s],
  ['GiST index + analyze', /^CREATE INDEX ON .*__work_|^ANALYZE .*__work_/s],
  ['QA rejectedFeatures', /no usable polygon|'no geometry'/],
  ['QA repairedGeometries', /was_invalid AND geom IS NOT NULL/],
  ['QA duplicateKeys', /also in/],
  ['QA unknownClassCodes', /is not a 三调 class/],
  ['QA areaMismatch', /on the ellipsoid/],
  ['QA slivers', /ST_Area\(geom::geography\) < /],
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

interface Stamp {
  readonly phase: string;
  readonly atMs: number;
  readonly processCpuMs: number;
  readonly backendCpuMs: number | null;
}

export interface PhaseTiming {
  readonly phase: string;
  readonly seconds: number;
  /** CPU seconds of the importing Node process in the phase. */
  readonly processCpuSeconds: number;
  /**
   * CPU seconds of the PostgreSQL backend serving the import (not of parallel workers it may
   * start); null when /proc cannot tell (another machine, another user's processes).
   */
  readonly backendCpuSeconds: number | null;
  readonly statements: number;
}

export class StatementTimeline {
  private readonly stamps: Stamp[] = [];
  private readonly instrumented = new WeakSet<pg.PoolClient>();
  /** The backend of the client that sent the last statement. */
  private lastBackendPid: number | null = null;
  private firstFailedPhase: string | null = null;
  private isPublishing = false;
  private hasPublished = false;
  private hasCopied = false;

  /** Stamps every statement of every client `pool` hands out from now on. */
  attach(pool: Pool): void {
    pool.on('acquire', (client) => this.instrument(client));
  }

  /** The phase of the first statement that failed, else of the last one sent: where a failed import was. */
  failedPhase(): string | null {
    return this.firstFailedPhase ?? this.stamps.at(-1)?.phase ?? null;
  }

  /** The phases in the order they first ran, from the first statement to `endMs` (performance.now()). */
  phases(endMs: number, endProcessCpuMs: number): PhaseTiming[] {
    const end = { atMs: endMs, processCpuMs: endProcessCpuMs, backendCpuMs: this.lastBackendPid === null ? null : cpuMsOfProcess(this.lastBackendPid) };
    const byPhase = new Map<string, { seconds: number; processCpuSeconds: number; backendCpuSeconds: number | null; statements: number }>();
    this.stamps.forEach((stamp, i) => {
      const next = this.stamps[i + 1] ?? end;
      const entry = byPhase.get(stamp.phase) ?? { seconds: 0, processCpuSeconds: 0, backendCpuSeconds: 0, statements: 0 };
      entry.seconds += (next.atMs - stamp.atMs) / 1000;
      entry.processCpuSeconds += (next.processCpuMs - stamp.processCpuMs) / 1000;
      entry.backendCpuSeconds = entry.backendCpuSeconds === null || stamp.backendCpuMs === null || next.backendCpuMs === null
        ? null
        : entry.backendCpuSeconds + (next.backendCpuMs - stamp.backendCpuMs) / 1000;
      entry.statements++;
      byPhase.set(stamp.phase, entry);
    });
    return [...byPhase].map(([phase, entry]) => ({ phase, ...entry }));
  }

  private instrument(client: pg.PoolClient): void {
    if (this.instrumented.has(client)) return;
    this.instrumented.add(client);
    const send = client.query.bind(client) as (...args: unknown[]) => unknown;
    // An own property on this one client object, not a change to pg: the pipeline calls
    // client.query, and each call is stamped before it goes out.
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const phase = this.stamp(statementText(args[0]), client);
      const result = send(...args);
      // Noted on a branch of the promise; the caller still sees the rejection.
      if (result instanceof Promise) result.catch(() => (this.firstFailedPhase ??= phase));
      return result;
    };
  }

  private stamp(text: string, client: pg.PoolClient): string {
    // pg's Client knows its backend's pid once connected (BackendKeyData).
    const pid = (client as unknown as { processID?: number | null }).processID ?? null;
    this.lastBackendPid = pid;
    const phase = this.phaseOf(text.trim());
    this.stamps.push({ phase, atMs: performance.now(), processCpuMs: processCpuMs(), backendCpuMs: pid === null ? null : cpuMsOfProcess(pid) });
    return phase;
  }

  private phaseOf(text: string): string {
    if (text === 'BEGIN') this.isPublishing = true;
    if (this.isPublishing) {
      if (text === 'COMMIT' || text === 'ROLLBACK') {
        this.isPublishing = false;
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
