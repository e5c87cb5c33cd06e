import { expect } from 'chai';
import type { Pool, PoolClient } from '../../../core/db/pool.js';
import { withClient } from '../../../core/db/with-client.js';
import { runInLanes } from '../../../pipeline/qa/check-lanes.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';

describe('runInLanes (pipeline/qa)', () => {
  let database: TestDatabase;
  let pool: Pool;

  before(async () => {
    database = await createTestDatabase('check_lanes');
    pool = await openMigratedPool(testConfig(database.url));
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  const backendOf = async (lane: PoolClient) => (await lane.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

  describe('given two lanes and four tasks', () => {
    it('runs them on two backends at once and returns the results in task order', async () => {
      let secondHasRun = () => {};
      const secondRan = new Promise<void>((resolve) => (secondHasRun = resolve));
      const results = await withClient(pool, silentLogger, (client) => runInLanes(client, pool, 2, silentLogger, [
        // The first task holds its lane until the second has run: with one lane this would never end.
        async (lane) => {
          await secondRan;
          return { task: 0, pid: await backendOf(lane) };
        },
        async (lane) => {
          secondHasRun();
          return { task: 1, pid: await backendOf(lane) };
        },
        async (lane) => ({ task: 2, pid: await backendOf(lane) }),
        async (lane) => ({ task: 3, pid: await backendOf(lane) }),
      ]));
      expect(results.map((result) => result.task)).to.deep.equal([0, 1, 2, 3]);
      expect(new Set(results.map((result) => result.pid)).size).to.equal(2);
    });

    it('lifts the statement deadline on the borrowed connection and restores it before giving it back', async () => {
      let secondHasRun = () => {};
      const secondRan = new Promise<void>((resolve) => (secondHasRun = resolve));
      const deadlines = await withClient(pool, silentLogger, (client) => runInLanes(client, pool, 2, silentLogger, [
        async () => {
          await secondRan;
          return null;
        },
        async (lane) => {
          const { rows } = await lane.query<{ statement_timeout: string }>('SELECT current_setting($1) AS statement_timeout', ['statement_timeout']);
          secondHasRun();
          return rows[0]!.statement_timeout;
        },
      ]));
      // The first lane is the caller's own connection; the borrowed one ran the second task.
      expect(deadlines[1]).to.equal('0');
      const { rows } = await pool.query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(rows[0]!.statement_timeout).to.not.equal('0');
    });
  });

  describe('given a task that fails', () => {
    it('starts no further task, waits for the running one, and throws the failure', async () => {
      const started: number[] = [];
      let isRunningOneDone = false;
      let secondHasFailed = () => {};
      const secondFailed = new Promise<void>((resolve) => (secondHasFailed = resolve));
      const failure = await withClient(pool, silentLogger, (client) => runInLanes(client, pool, 2, silentLogger, [
        async (lane) => {
          started.push(0);
          await secondFailed;
          await lane.query('SELECT 1');
          isRunningOneDone = true;
          return 0;
        },
        async (lane) => {
          started.push(1);
          try {
            await lane.query('SELECT 1/0');
          } finally {
            secondHasFailed();
          }
          return 1;
        },
        async () => {
          started.push(2);
          return 2;
        },
      ])).then(() => null, (error: unknown) => error as Error);
      expect(failure?.message).to.match(/division by zero/);
      expect(started).to.deep.equal([0, 1]);
      expect(isRunningOneDone).to.equal(true);
    });
  });

  describe('without a pool', () => {
    it('runs every task on the one connection, in order', async () => {
      const order: number[] = [];
      await withClient(pool, silentLogger, (client) => runInLanes(client, null, 2, null, [0, 1, 2].map((task) => async () => {
        order.push(task);
        return task;
      })));
      expect(order).to.deep.equal([0, 1, 2]);
    });
  });
});
