import type { Pool } from '../../core/db/pool.js';

/**
 * Why an import can be measured wrong through no fault of its own, and how the benchmark
 * notices. The pipeline adds its work table's EPSG:4490 geometry with an UPDATE and then builds
 * the GiST index, over the broken HOT chains the UPDATE left: PostgreSQL marks such an index
 * `pg_index.indcheckxmin`, and no query whose snapshot is older than the index may use it. So
 * while any transaction of another session, in any database of the cluster, that began before
 * the index was built is still open, the planner has no index for the overlaps check's self-join
 * and compares every pair of features: a few seconds become hours at 300,000 features. On a
 * shared machine that happens. The watch looks every WATCH_INTERVAL_MS for exactly that
 * (an indcheckxmin work-table index, another session's xmin not newer than it, the overlaps
 * check running) and calls `onBlocked` once, so that the run can be stopped and repeated.
 */

const WATCH_INTERVAL_MS = 1_000;
/** How long waitForQuiet waits at most before an import; then the import runs anyway. */
const QUIET_WAIT_MS = 10 * 60_000;
const QUIET_POLL_MS = 2_000;

/** A transaction of another session that keeps the work table's index from the planner. */
export interface BlockingTransaction {
  readonly pid: number;
  readonly database: string | null;
  readonly applicationName: string;
  readonly openSeconds: number;
  readonly query: string;
}

export class BlockedIndexError extends Error {
  constructor(readonly blockers: readonly BlockingTransaction[]) {
    super(`the work table's index was unusable during QA overlaps, because of ${blockers.map(describeBlocker).join('; ')}`);
    this.name = 'BlockedIndexError';
  }
}

export class WorkIndexWatch {
  private readonly timer: NodeJS.Timeout;
  private pending: Promise<void> = Promise.resolve();
  private hasFired = false;

  /** `importApplication` is the application_name of the import's own sessions. */
  constructor(private readonly pool: Pool, private readonly importApplication: string, private readonly onBlocked: (error: BlockedIndexError) => void) {
    this.timer = setInterval(() => {
      this.pending = this.pending.then(() => this.look()).catch(() => undefined);
    }, WATCH_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pending;
  }

  private async look(): Promise<void> {
    if (this.hasFired) return;
    const { rows } = await this.pool.query<BlockerRow & { overlaps_running: boolean }>(
      `WITH work_index AS (
         SELECT i.xmin AS index_xmin FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
          WHERE c.relname ~ '__work_[0-9]+$' AND i.indcheckxmin
       )
       SELECT a.pid, a.datname, a.application_name, extract(epoch FROM now() - a.xact_start)::float8 AS open_seconds,
              left(a.query, 80) AS query,
              EXISTS (SELECT 1 FROM pg_stat_activity i WHERE i.application_name = $1 AND i.state = 'active' AND i.query LIKE '%ST_Relate(%') AS overlaps_running
         FROM pg_stat_activity a, work_index w
        WHERE a.pid <> pg_backend_pid() AND a.application_name <> $1
          AND greatest(age(a.backend_xmin), age(a.backend_xid)) >= age(w.index_xmin)`,
      [this.importApplication],
    );
    if (rows.length === 0 || !rows[0]!.overlaps_running) return;
    this.hasFired = true;
    this.onBlocked(new BlockedIndexError(rows.map(toBlocker)));
  }
}

/** Ends the import's sessions, which outlive its killed process while their statement runs. */
export async function terminateImportSessions(pool: Pool, importApplication: string): Promise<void> {
  await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, [importApplication]);
}

/**
 * Waits, up to QUIET_WAIT_MS, until no other session has had a transaction open for more than a
 * poll, so that an import is less likely to start into what WorkIndexWatch catches. Returns
 * the seconds waited.
 */
export async function waitForQuiet(pool: Pool, importApplication: string, progress: (message: string) => void, signal?: AbortSignal): Promise<number> {
  const started = Date.now();
  let hasSaid = false;
  for (;;) {
    signal?.throwIfAborted();
    const { rows } = await pool.query<BlockerRow>(
      `SELECT pid, datname, application_name, extract(epoch FROM now() - xact_start)::float8 AS open_seconds, left(query, 80) AS query
         FROM pg_stat_activity
        WHERE (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL) AND pid <> pg_backend_pid() AND application_name <> $1
          AND xact_start < now() - make_interval(secs => $2::float8 / 1000)
        ORDER BY xact_start`,
      [importApplication, QUIET_POLL_MS],
    );
    const waited = (Date.now() - started) / 1000;
    if (rows.length === 0) return waited;
    if (waited * 1000 > QUIET_WAIT_MS) {
      progress(`  ${rows.length} transaction(s) of other sessions still open after ${QUIET_WAIT_MS / 60_000} min: importing anyway`);
      return waited;
    }
    if (!hasSaid) {
      progress(`  waiting for other sessions' transactions to end (${describeBlocker(toBlocker(rows[0]!))}${rows.length > 1 ? `, and ${rows.length - 1} more` : ''})`);
      hasSaid = true;
    }
    await new Promise((resolve) => setTimeout(resolve, QUIET_POLL_MS));
  }
}

interface BlockerRow {
  pid: number;
  datname: string | null;
  application_name: string;
  open_seconds: number | null;
  query: string;
}

function toBlocker(row: BlockerRow): BlockingTransaction {
  return {
    pid: row.pid,
    database: row.datname,
    applicationName: row.application_name,
    openSeconds: row.open_seconds ?? 0,
    query: row.query.replace(/\s+/g, ' ').trim(),
  };
}

export function describeBlocker(t: BlockingTransaction): string {
  return `pid ${t.pid} (${t.applicationName || 'no application_name'}, database ${t.database ?? '-'}, open ${t.openSeconds.toFixed(0)} s: ${t.query})`;
}
