import { expect } from 'chai';
import pg from 'pg';
import { awaitSessionsGone } from '../schedule/lock-holder.js';
import { awaitRunningJob, createFaultFixture, lastJobId, liveSnapshot, parcelRow, type CliProcess, type FaultFixture } from './fault-fixture.js';

/** planmap-cli exit codes (its --help lists them): 0 done, 5 the dataset is already being imported. */
const EXIT_CODES = { ok: 0, running: 5 } as const;

/**
 * Two `planmap-cli import` processes for one dataset at once. To have the first surely still
 * importing when the second starts (process start-up takes seconds here), the test holds an
 * exclusive lock on meta.datasets from its own connection: the first import takes its advisory
 * lock, then waits on that table; the test sees it waiting, starts the second, and lets go.
 */
describe('two imports of one dataset at once, from two processes (pipeline/faults)', function () {
  this.timeout(300_000);
  let fixture: FaultFixture;
  let blocker: pg.Client;

  before(async () => {
    fixture = await createFaultFixture('concurrent');
    await fixture.deliver(parcelRow(200, { perRow: 20 }));
    blocker = new pg.Client({ connectionString: fixture.database.url });
    await blocker.connect();
  });

  after(async () => {
    await blocker?.end();
    await fixture?.close();
  });

  /** Starts an import and returns once it holds the dataset's import lock and waits on the blocker. */
  async function startBlockedImport(): Promise<{ cli: CliProcess }> {
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE meta.datasets IN ACCESS EXCLUSIVE MODE');
    const cli = fixture.startCli('import', 'landuse');
    for (let i = 0; i < 12_000; i++) {
      const { rows } = await fixture.pool.query(
        `SELECT 1 FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
          WHERE a.datname = current_database() AND a.application_name = 'planmap-cli' AND a.wait_event_type = 'Lock'`,
      );
      if (rows.length > 0) return { cli };
      if (cli.child.exitCode !== null) expect.fail(`the first import ended early: ${(await cli.exited).stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return expect.fail('the first import never reached its lock');
  }

  it('refuses the second with exit code 5, naming the dataset, and lets the first finish', async () => {
    const first = await startBlockedImport();
    const second = await fixture.startCli('import', 'landuse').exited;
    expect(second.code).to.equal(EXIT_CODES.running);
    expect(second.stderr).to.include('dataset "landuse" is already being imported');
    await blocker.query('ROLLBACK');
    const done = await first.cli.exited;
    expect(done.code, done.stderr).to.equal(EXIT_CODES.ok);
    expect(done.stdout).to.include('landuse: version 1 is live');
    expect(await liveSnapshot(fixture.pool)).to.include({ liveVersion: 1, count: 200 });
  });

  it('does not let a process killed while holding the lock block the next run', async () => {
    await fixture.deliver(parcelRow(250, { perRow: 25 }));
    const before = await liveSnapshot(fixture.pool);
    const afterJob = await lastJobId(fixture.pool);
    const holder = await startBlockedImport();
    holder.cli.child.kill('SIGKILL');
    const killed = await holder.cli.exited;
    expect(killed.signal).to.equal('SIGKILL');
    // Its backend is waiting on the blocker's table lock; once that goes, the backend finds its
    // client gone and ends, releasing the advisory lock with its session.
    await blocker.query('ROLLBACK');
    await awaitSessionsGone(fixture.database.url, 'planmap-cli');
    expect(await liveSnapshot(fixture.pool)).to.deep.equal(before);
    const next = fixture.startCli('import', 'landuse');
    expect(await awaitRunningJob(fixture.pool, afterJob, next)).to.be.a('number');
    const done = await next.exited;
    expect(done.code, done.stderr).to.equal(EXIT_CODES.ok);
    expect(await liveSnapshot(fixture.pool)).to.include({ liveVersion: 2, count: 250 });
  });
});
