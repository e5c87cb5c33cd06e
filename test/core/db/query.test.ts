import { expect } from 'chai';
import { createPool, type Pool } from '../../../core/db/pool.js';
import { queryWithSignal } from '../../../core/db/query.js';
import { DatabaseUnavailableError } from '../../../core/errors.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';

/** Waits, by asking PostgreSQL rather than sleeping, until a statement shows up as running. */
async function untilRunning(pool: Pool, marker: string): Promise<void> {
  for (;;) {
    const { rows } = await pool.query(`SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%${marker}%`]);
    if (rows.length > 0) return;
  }
}

async function isRunning(pool: Pool, marker: string): Promise<boolean> {
  const { rows } = await pool.query(`SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%${marker}%`]);
  return rows.length > 0;
}

describe('queryWithSignal (core/db/query)', () => {
  describe('given a client that goes away while its statement runs', () => {
    it('cancels the statement on the server and rejects at once', async () => {
      const { pool } = sampleFixture();
      const marker = 'cancel_me_' + process.pid;
      const aborted = new AbortController();
      const started = Date.now();
      const running = queryWithSignal(pool, `SELECT pg_sleep(30) AS ${marker}`, [], { signal: aborted.signal, what: 'sleeping' });
      await untilRunning(pool, marker);
      aborted.abort();
      const error = await running.then(() => null, (caught: unknown) => caught);
      expect(error, 'the query rejects').to.be.instanceOf(Error);
      expect(Date.now() - started, 'well before the 30 s sleep ends').to.be.below(10_000);
      // The cancel request travels on its own connection: give the server a moment to act on it.
      const deadline = Date.now() + 5000;
      while ((await isRunning(pool, marker)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await isRunning(pool, marker), 'the statement no longer runs on the server').to.equal(false);
    });
  });

  describe('given a statement that passes the pool deadline', () => {
    it('rejects with DatabaseUnavailableError (a 503, not a 500)', async () => {
      const { config } = sampleFixture();
      const pool = createPool({ url: config.databaseUrl, database: { ...config.database, statementTimeoutMs: 200 }, applicationName: 'planmap-deadline-test', logger: silentLogger });
      try {
        const error = await queryWithSignal(pool, 'SELECT pg_sleep(5)', [], { what: 'sleeping' }).then(() => null, (caught: unknown) => caught);
        expect(error).to.be.instanceOf(DatabaseUnavailableError);
        expect((error as Error).message).to.equal('database unavailable while sleeping');
      } finally {
        await pool.end();
      }
    });
  });

  describe('given a statement with a bug', () => {
    it('passes the database error through unchanged (a 500, never a 503)', async () => {
      const error = await queryWithSignal(sampleFixture().pool, 'SELECT no_such_column FROM meta.datasets', [], { what: 'reading' }).then(() => null, (caught: unknown) => caught);
      expect(error).to.not.be.instanceOf(DatabaseUnavailableError);
      expect((error as { code?: string }).code).to.equal('42703');
    });
  });
});
