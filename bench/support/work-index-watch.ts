import type { Pool } from '../../core/db/pool.js';

/**
 * A tripwire for a failure that once made the overlaps check take hours (fixed in 65fce88):
 * the pipeline added the work table's geometry with an UPDATE and indexed it afterwards, over
 * the broken HOT chains the UPDATE left, so PostgreSQL marked the index `pg_index.indcheckxmin`
 * and no query with a snapshot older than the index could use it. While any other session in
 * the cluster had such a transaction open, the overlaps self-join ran as a nested loop over all
 * pairs of features (91 s for 20,000; hours for 300,000). Should it come back, the watch sees
 * it within WATCH_INTERVAL_MS (an indcheckxmin work-table index, another session whose xmin is
 * not newer than the index, the overlaps check running) and calls `onBlocked` once, so that the
 * benchmark stops with the cause instead of running on for hours.
 */

const WATCH_INTERVAL_MS = 1_000;

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
    super(`the work table's GiST index is marked indcheckxmin and unusable during QA overlaps, because of ${blockers.map(describeBlocker).join('; ')}: ` +
      'the check compares every pair of features (see bench/README.md); stopped');
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

function describeBlocker(t: BlockingTransaction): string {
  return `pid ${t.pid} (${t.applicationName || 'no application_name'}, database ${t.database ?? '-'}, open ${t.openSeconds.toFixed(0)} s: ${t.query})`;
}
