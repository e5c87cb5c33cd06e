import type pg from 'pg';
import type { Pool } from './pool.js';
import { translateDatabaseError } from './database-errors.js';

export interface QueryOptions {
  /** Aborting cancels the running statement on the server (pg_cancel_backend). */
  readonly signal?: AbortSignal;
  /** A prepared-statement name: the plan is made once per connection. */
  readonly name?: string;
  /** Describes the work for error messages ("reading tile landuse 14/13456/6123"). */
  readonly what: string;
}

/**
 * Runs one statement with the pool's deadline, cancelling it when `signal` aborts (a client
 * that disconnects), and turning outages into DatabaseUnavailableError.
 */
export async function queryWithSignal<Row extends pg.QueryResultRow>(
  pool: Pool,
  text: string,
  values: readonly unknown[],
  { signal, name, what }: QueryOptions,
): Promise<pg.QueryResult<Row>> {
  signal?.throwIfAborted();
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    return translateDatabaseError(error, what);
  }
  const cancel = () => {
    const backendPid = (client as unknown as { processID?: number }).processID;
    if (backendPid) pool.query('SELECT pg_cancel_backend($1)', [backendPid]).catch(() => undefined);
  };
  signal?.addEventListener('abort', cancel, { once: true });
  let failed = false;
  try {
    return await client.query<Row>({ text, values: values as unknown[], ...(name ? { name } : {}) });
  } catch (error) {
    failed = true;
    signal?.throwIfAborted();
    return translateDatabaseError(error, what);
  } finally {
    signal?.removeEventListener('abort', cancel);
    // A client whose statement failed may be half-broken (connection lost): discard it.
    client.release(failed ? true : undefined);
  }
}
