import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import { importDataset } from '../../../pipeline/import/import-dataset.js';
import { rollbackDataset } from '../../../pipeline/publish/dataset-versions.js';
import { silentLogger } from '../../support/test-database.js';
import { awaitSessionsGone } from '../schedule/lock-holder.js';
import { awaitRunningJob, createFaultFixture, lastJobId, leftoverTables, liveSnapshot, parcelRow, type FaultFixture, type LiveSnapshot } from './fault-fixture.js';

const KILLED_RUNS = 10;
/** Parcels of the delivery the killed runs import: a few seconds of import on a loaded machine. */
const DELIVERY_PARCELS = 1500;

/**
 * `planmap-cli import` killed with SIGKILL at random moments of its import: whatever it had
 * done (staging, work table, QA, the publish transaction) must leave the live data, versions
 * and counts exactly as they were, and the next import must succeed. Kill moments are spread
 * over the measured duration of an import (one random moment in each tenth), counted from the
 * moment the job is recorded as running.
 */
describe('an import process killed with kill -9 (pipeline/faults)', function () {
  this.timeout(600_000);
  let fixture: FaultFixture;
  let importMs: number;

  before(async () => {
    fixture = await createFaultFixture('kill');
    const { pool, config } = fixture;
    await fixture.deliver(parcelRow(300, { perRow: 30, dlbm: '0101', dlmc: '水田' }));
    expect((await importDataset(pool, config, 'landuse', { trigger: 'cli', startedBy: 'test' }, silentLogger)).version).to.equal(1);
    // The delivery the killed runs read; imported once here to measure how long an import takes,
    // then rolled back so that version 1 is live and version 2 retired while processes are killed.
    await fixture.deliver(parcelRow(DELIVERY_PARCELS, { perRow: 50, dlbm: '0103', dlmc: '旱地' }));
    const measured = await importDataset(pool, config, 'landuse', { trigger: 'cli', startedBy: 'test' }, silentLogger);
    expect(measured.version).to.equal(2);
    const { rows } = await pool.query<{ ms: number }>(`SELECT extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM meta.import_jobs WHERE id = $1`, [measured.jobId]);
    importMs = Number(rows[0]!.ms);
    const client = await pool.connect();
    try {
      expect(await rollbackDataset(client, 'landuse')).to.equal(1);
    } finally {
      client.release();
    }
  });

  after(async () => {
    await fixture?.close();
  });

  it(`leaves live data, versions and counts unchanged after each of ${KILLED_RUNS} kills, and the next import publishes`, async () => {
    const { pool, database } = fixture;
    const start = await liveSnapshot(pool);
    expect(start).to.include({ liveVersion: 1, count: 300 });
    const killedJobs: number[] = [];
    const killedAfterMs: number[] = [];
    let attempts = 0;
    while (killedJobs.length < KILLED_RUNS) {
      attempts += 1;
      expect(attempts, 'too many runs finished before their kill').to.be.at.most(KILLED_RUNS + 6);
      // A run that got to publish before its kill moved live on legitimately: compare with now.
      const baseline: LiveSnapshot = await liveSnapshot(pool);
      const afterJob = await lastJobId(pool);
      const cli = fixture.startCli('import', 'landuse');
      const jobId = await awaitRunningJob(pool, afterJob, cli);
      if (jobId === null) expect.fail(`the import ended before starting a job: ${(await cli.exited).stderr}`);
      const killAfterMs = (importMs * (killedJobs.length + Math.random())) / KILLED_RUNS;
      await delay(killAfterMs);
      cli.child.kill('SIGKILL');
      const exit = await cli.exited;
      // PostgreSQL ends the dead process's session (rolling back its transaction and releasing
      // its advisory lock) once it notices; then the database is what any reader would see.
      await awaitSessionsGone(database.url, 'planmap-cli');
      const { rows: published } = await pool.query('SELECT 1 FROM meta.dataset_versions WHERE import_job_id = $1', [jobId]);
      if (exit.signal !== 'SIGKILL' || published.length > 0) continue; // it finished first: not a kill mid-import
      expect(await liveSnapshot(pool), `after a kill ${Math.round(killAfterMs)} ms into job ${jobId}`).to.deep.equal(baseline);
      killedJobs.push(jobId);
      killedAfterMs.push(Math.round(killAfterMs));
    }

    const before = await liveSnapshot(pool);
    const next = Math.max(...before.versions.map((row) => row.version)) + 1;
    const final = fixture.startCli('import', 'landuse');
    const finished = await final.exited;
    expect(finished.code, finished.stderr).to.equal(0);
    expect(finished.stdout).to.include(`landuse: version ${next} is live`);
    const after = await liveSnapshot(pool);
    expect(after).to.include({ liveVersion: next, count: DELIVERY_PARCELS });
    expect(after.versions.at(-1)).to.deep.include({ version: next, status: 'live', feature_count: String(DELIVERY_PARCELS) });
    expect(after.versions.filter((row) => row.status === 'live')).to.have.length(1);
    expect(await leftoverTables(pool)).to.deep.equal([]);
    const { rows: jobs } = await pool.query<{ status: string; error: string }>('SELECT status, error FROM meta.import_jobs WHERE id = ANY ($1) ORDER BY id', [killedJobs]);
    expect(jobs).to.have.length(KILLED_RUNS);
    for (const job of jobs) expect(job).to.deep.equal({ status: 'failed', error: 'interrupted: the importing process ended before finishing' });
    expect(killedAfterMs.every((ms) => ms < importMs)).to.equal(true);
  });
});
