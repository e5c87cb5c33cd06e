import type { AuditEntry } from '../../core/auth/audit-log.js';
import type { Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';

/** One read of protected data, as the routes report it. */
export interface ReadEvent {
  /** `name [tokenId]`, `ADMIN_TOKEN`, or `anonymous` for a refused request without a token. */
  readonly actor: string;
  /** `tiles.read`, `tilejson.read`, `style.read`, `raster.read`, `wmts.read`... */
  readonly action: string;
  /** `tileset:landuse`, `style:planning`. */
  readonly target: string;
  readonly address: string;
  readonly outcome: 'ok' | 'denied';
  /** 401 or 403 for refusals. */
  readonly status?: number;
}

interface Tally {
  readonly event: ReadEvent;
  count: number;
  firstAt: Date;
  lastAt: Date;
}

/**
 * The audit of reads of internal and restricted data. A map view reads hundreds of tiles a
 * second, so reads are counted in memory and written as one meta.audit_log row per actor,
 * action, target, address and outcome per window (`details: {count, from, to, status}`),
 * at the end of the window and at shutdown (`close`). The table stays append-only: a window's
 * row is written once, never updated. Rows that cannot be written (database down) are kept and
 * written with the next window, up to `maxPending` distinct rows.
 */
export class ReadAudit {
  private tallies = new Map<string, Tally>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly windowMs: number,
    private readonly maxPending = 50_000,
  ) {}

  record(event: ReadEvent): void {
    const key = keyOf(event);
    const now = new Date();
    const tally = this.tallies.get(key);
    if (tally) {
      tally.count += 1;
      tally.lastAt = now;
      return;
    }
    if (this.tallies.size >= this.maxPending) {
      this.logger.warn({ pending: this.tallies.size }, 'read audit: too many distinct rows pending; writing now');
      void this.flush();
    }
    this.tallies.set(key, { event, count: 1, firstAt: now, lastAt: now });
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.windowMs);
      this.timer.unref();
    }
  }

  /** Writes what has been counted (one statement); resolves when written or given back for the next window. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  /** Writes the last window; for shutdown. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async writePending(): Promise<void> {
    if (this.tallies.size === 0) return;
    const batch = [...this.tallies.values()];
    this.tallies = new Map();
    const entries: AuditEntry[] = batch.map(({ event, count, firstAt, lastAt }) => ({
      actor: event.actor,
      action: event.action,
      target: event.target,
      address: event.address,
      outcome: event.outcome,
      details: { count, from: firstAt.toISOString(), to: lastAt.toISOString(), ...(event.status ? { status: event.status } : {}) },
    }));
    try {
      await this.pool.query(
        `INSERT INTO meta.audit_log (actor, action, target, address, outcome, details)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])`,
        [
          entries.map((entry) => entry.actor),
          entries.map((entry) => entry.action),
          entries.map((entry) => entry.target ?? null),
          entries.map((entry) => entry.address ?? null),
          entries.map((entry) => entry.outcome),
          entries.map((entry) => JSON.stringify(entry.details ?? {})),
        ],
      );
    } catch (error) {
      this.logger.error({ err: error, rows: entries.length }, 'read audit: cannot write meta.audit_log; keeping the counts for the next window');
      for (const tally of batch) {
        const key = keyOf(tally.event);
        const newer = this.tallies.get(key);
        if (newer) {
          newer.count += tally.count;
          newer.firstAt = tally.firstAt;
        } else if (this.tallies.size < this.maxPending) this.tallies.set(key, tally);
      }
      if (!this.timer && this.tallies.size > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          void this.flush();
        }, this.windowMs);
        this.timer.unref();
      }
    }
  }
}

function keyOf(event: ReadEvent): string {
  return [event.actor, event.action, event.target, event.address, event.outcome, event.status ?? ''].join('\u0000');
}
