import type { PoolClient } from '../../core/db/pool.js';
import { AppError } from '../../core/errors.js';

/** Another import of the dataset is running (in this process, another replica or the CLI): 409. */
export class ImportRunningError extends AppError {
  constructor(datasetId: string) {
    super(409, 'import_running', `dataset "${datasetId}" is already being imported`);
  }
}

/**
 * One import per dataset at a time, across every process on the database: a session-level
 * advisory lock held by the import's connection. A process that dies loses its connection and
 * so its lock; the next run is never blocked by a dead one.
 */
export async function lockDatasetImport(client: PoolClient, datasetId: string): Promise<() => Promise<void>> {
  const { rows } = await client.query<{ locked: boolean }>(
    `SELECT pg_try_advisory_lock(hashtext('planmap.import'), hashtext($1)) AS locked`,
    [datasetId],
  );
  if (!rows[0]?.locked) throw new ImportRunningError(datasetId);
  return async () => {
    await client.query(`SELECT pg_advisory_unlock(hashtext('planmap.import'), hashtext($1))`, [datasetId]);
  };
}
