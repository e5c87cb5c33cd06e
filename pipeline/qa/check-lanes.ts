import type { Pool, PoolClient } from '../../core/db/pool.js';
import { withClient } from '../../core/db/with-client.js';
import type { Logger } from '../../core/logger.js';

/**
 * Runs independent read-only queries (the QA checks over the committed work table) on several
 * connections at once: each is one PostgreSQL backend, so with `lanes` of them the database uses
 * that many CPUs. Tasks are taken in the order given (put the longest first, so that it does
 * not start last); results come back in that order whatever order they finish in.
 *
 * The first lane is `client` (the import's own connection); the others are borrowed from
 * `pool`, with the statement deadline lifted as on the import's connection (bulk QA queries
 * run for minutes; the pool's deadline is meant for tiles) and restored before they go back.
 * After a failure no new task starts; the running ones are awaited, then the first error is
 * thrown, so that nothing still reads the work table when the caller drops it.
 */
export async function runInLanes<T>(
  client: PoolClient,
  pool: Pool | null,
  lanes: number,
  logger: Logger | null,
  tasks: readonly ((lane: PoolClient) => Promise<T>)[],
): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  /** Takes tasks until none is left or one failed; true when one failed on this lane. */
  const drain = async (lane: PoolClient): Promise<boolean> => {
    while (failure === null && next < tasks.length) {
      const index = next++;
      try {
        results[index] = await tasks[index]!(lane);
      } catch (error) {
        failure ??= { error };
        return true;
      }
    }
    return false;
  };
  const borrowed = pool && logger ? Math.min(lanes, tasks.length) - 1 : 0;
  const others = Array.from({ length: Math.max(borrowed, 0) }, () => withClient(pool!, logger!, async (lane) => {
    await lane.query('SET statement_timeout = 0');
    // A lane whose task failed may hold session settings of that task: throwing makes
    // withClient discard the connection instead of returning it to the pool.
    if (await drain(lane)) throw new LaneFailed();
    await lane.query('RESET statement_timeout');
  }).catch((error: unknown) => {
    if (error instanceof LaneFailed) return;
    // A connection that could not be had or was lost: the other lanes take its tasks (a lost
    // one's task has failed the run already).
    logger!.warn({ err: error }, 'QA: a database connection of a check lane failed');
  }));
  await Promise.all([drain(client), ...others]);
  if (failure !== null) throw (failure as { error: unknown }).error;
  return results;
}

/** The failure itself is reported by runInLanes; this only marks the lane's connection as spoiled. */
class LaneFailed extends Error {}
