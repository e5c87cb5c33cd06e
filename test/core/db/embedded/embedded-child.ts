/**
 * A child process for the embedded-database tests: another process on the same data folder.
 * `open <dir>`: starts the embedded database and prints "opened" (or the error) and exits.
 * `write <dir>`: starts it and commits one row per transaction forever, printing
 * "committed <n>" after each commit, until it is killed.
 */
import pg from 'pg';
import { startEmbeddedDatabase } from '../../../../core/db/embedded/embedded-database.js';
import { createLogger } from '../../../../core/logger.js';

const [mode, dataDir] = process.argv.slice(2);
if (!dataDir || (mode !== 'open' && mode !== 'write')) throw new Error('usage: embedded-child.ts open|write <dataDir>');
try {
  const database = await startEmbeddedDatabase({ dataDir, logger: createLogger('embedded-child', 'silent') });
  if (mode === 'open') {
    console.log('opened');
    await database.close();
  } else {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS crash_rows (n integer PRIMARY KEY, geom geometry(Point, 4490))');
    for (let n = 1; ; n++) {
      await client.query('INSERT INTO crash_rows VALUES ($1::int, ST_SetSRID(ST_Point(115 + $1::int / 1e4, 36), 4490))', [n]);
      console.log(`committed ${n}`);
    }
  }
} catch (error) {
  console.log(`refused: ${(error as Error).message}`);
  // The open database would keep the process alive.
  process.exit(1);
}
