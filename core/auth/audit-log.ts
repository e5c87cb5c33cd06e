import type { Pool, PoolClient } from '../db/pool.js';

/** meta.audit_log (append-only): who did what to what, from where, and how it ended. */

export interface AuditEntry {
  /** A token (`name [id]`, `ADMIN_TOKEN`), `anonymous`, or a CLI user (`cli:alice`). */
  readonly actor: string;
  /** e.g. `import.start`, `dataset.rollback`, `token.create`, `auth.denied`. */
  readonly action: string;
  /** What it was done to: `dataset:landuse`, `job:12`, `token:ab12...`. */
  readonly target?: string | null;
  /** Client address as the server sees it (after trusted proxies). */
  readonly address?: string | null;
  readonly outcome: 'ok' | 'refused' | 'denied' | 'failed';
  readonly details?: Readonly<Record<string, unknown>>;
}

export async function writeAudit(db: Pool | PoolClient, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO meta.audit_log (actor, action, target, address, outcome, details) VALUES ($1, $2, $3, $4, $5, $6)`,
    [entry.actor, entry.action, entry.target ?? null, entry.address ?? null, entry.outcome, JSON.stringify(entry.details ?? {})],
  );
}
