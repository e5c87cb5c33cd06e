import pg from 'pg';
import { lockDatasetImport } from '../../../pipeline/import/import-lock.js';
import { advisoryScheduleLock } from '../../../pipeline/schedule/schedule-lock.js';
import { silentLogger } from '../../support/test-database.js';

/**
 * Another process holding a dataset's import or schedule lock, for tests of what a second
 * process sees: `node --import tsx hold-lock-process.ts <database-url> <import|schedule> <dataset>`.
 * Prints "held" once it holds the lock, then waits to be killed (kill -9: the session ends).
 */
const [url, kind, datasetId] = process.argv.slice(2);
if (!url || (kind !== 'import' && kind !== 'schedule') || !datasetId) {
  console.error('usage: hold-lock-process.ts <database-url> <import|schedule> <dataset>');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: url, max: 1, application_name: `planmap-test-hold-${kind}-${process.pid}` });
if (kind === 'import') await lockDatasetImport(await pool.connect(), datasetId);
else if (!(await advisoryScheduleLock(pool, silentLogger)(datasetId))) throw new Error(`the schedule lock of ${datasetId} is taken`);
process.stdout.write('held\n');
setInterval(() => undefined, 60_000);
