import type { Logger } from '../logger.js';
import type { Pool, PoolClient } from './pool.js';

/**
 * Runs `work` on one connection of the pool, for work that spans several statements (imports,
 * publishes). A checked-out client has no error listener of the pool's: if its connection dies
 * between two statements, its 'error' event would crash the process, so one is attached while
 * it is held. A client whose work failed is discarded rather than returned to the pool.
 */
export async function withClient<T>(pool: Pool, logger: Logger, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const onError = (error: Error) => logger.warn({ err: error }, 'database connection lost while in use');
  client.on('error', onError);
  let failed = false;
  try {
    return await work(client);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(failed ? true : undefined);
  }
}
