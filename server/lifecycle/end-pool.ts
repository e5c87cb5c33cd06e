import pg from 'pg';
import type { Pool, PoolClient } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';

const checkedOutByPool = new WeakMap<Pool, Set<PoolClient>>();

/** Follows the pool's checked-out connections, so shutdown can cancel their statements. Call once, when the pool is made. */
export function trackCheckedOutClients(pool: Pool): void {
  const checkedOut = new Set<PoolClient>();
  checkedOutByPool.set(pool, checkedOut);
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (error, client) => checkedOut.delete(client));
  pool.on('remove', (client) => checkedOut.delete(client as PoolClient));
}

/**
 * Closes the pool once its connections are given back. Statements still running when
 * `deadline` aborts are cancelled (pg_cancel_backend, on a connection of its own: the pool
 * takes no more work once ending), so the pool can close instead of waiting out their
 * statement_timeout.
 */
export async function endPool(pool: Pool, deadline: AbortSignal, logger: Logger): Promise<void> {
  const cancelRunning = () => {
    const pids = [...(checkedOutByPool.get(pool) ?? [])].map((client) => (client as unknown as { processID?: number }).processID).filter((pid): pid is number => typeof pid === 'number');
    if (pids.length === 0) return;
    logger.warn({ statements: pids.length }, 'database: cancelling statements still running at the shutdown deadline');
    void cancelBackends(pool, pids).catch((error: unknown) => logger.warn({ err: error }, 'database: cannot cancel the running statements'));
  };
  if (deadline.aborted) cancelRunning();
  else deadline.addEventListener('abort', cancelRunning, { once: true });
  try {
    await pool.end();
  } finally {
    deadline.removeEventListener('abort', cancelRunning);
  }
}

async function cancelBackends(pool: Pool, pids: readonly number[]): Promise<void> {
  const { connectionString, connectionTimeoutMillis } = pool.options as pg.PoolConfig;
  const client = new pg.Client({ connectionString, connectionTimeoutMillis, application_name: 'planmap-shutdown' });
  await client.connect();
  try {
    await client.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  } finally {
    await client.end();
  }
}
