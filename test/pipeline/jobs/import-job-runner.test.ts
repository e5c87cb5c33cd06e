import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool, PoolClient } from '../../../core/db/pool.js';
import { importDataset } from '../../../pipeline/import/import-dataset.js';
import { ImportRunningError, lockDatasetImport } from '../../../pipeline/import/import-lock.js';
import { ABANDONED_MESSAGE } from '../../../pipeline/jobs/abandoned-jobs.js';
import { ImportJobRunner, type JobEvent } from '../../../pipeline/jobs/import-job-runner.js';
import { getJob, listJobs } from '../../../pipeline/jobs/job-store.js';
import { ProgressWriter } from '../../../pipeline/jobs/progress-writer.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { parcelRow, prjOf, writeParcelShapefile } from '../import/delivery-fixture.js';

const ADMIN = { trigger: 'admin', startedBy: 'test' } as const;

/** An importer that waits for `open()` before running the real import: a test decides when a run proceeds. */
function gatedImporter(): { importer: typeof importDataset; open: () => void } {
  let open = () => undefined as void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    importer: async (...args) => {
      await gate;
      return importDataset(...args);
    },
    open: () => open(),
  };
}

describe('ImportJobRunner (pipeline/jobs)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let inbox: string;
  let config: AppConfig;

  before(async () => {
    database = await createTestDatabase('jobs');
    inbox = await mkdtemp(join(tmpdir(), 'planmap-jobs-'));
    config = testConfig(database.url, (raw) => {
      raw.pipeline = { importRoots: [inbox] };
      (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: 'dltb' };
    });
    pool = await openMigratedPool(config);
  });

  after(async () => {
    await pool.end();
    await database.drop();
    await rm(inbox, { recursive: true, force: true });
  });

  async function deliver(parcels: ReturnType<typeof parcelRow>): Promise<void> {
    await rm(join(inbox, 'dltb'), { recursive: true, force: true });
    await writeParcelShapefile(join(inbox, 'dltb', 'DLTB'), parcels, { prj: await prjOf(pool, 4527) });
  }

  async function deliveryBytes(): Promise<number> {
    let total = 0;
    for (const name of await readdir(join(inbox, 'dltb'))) total += (await stat(join(inbox, 'dltb', name))).size;
    return total;
  }

  describe('given a delivery of 20 parcels', () => {
    it('queues the job, returns at once, then runs it and records phase, files, bytes and features', async () => {
      await deliver(parcelRow(20));
      const { importer, open } = gatedImporter();
      const runner = new ImportJobRunner({ pool, config, logger: silentLogger, importer });
      const events: JobEvent[] = [];
      const job = await runner.start('landuse', ADMIN);
      const unsubscribe = runner.subscribe(job.id, (event) => events.push(event));
      expect(job).to.deep.include({ datasetId: 'landuse', status: 'queued', trigger: 'admin', startedBy: 'test', phase: null });
      expect(job.heartbeatAt).to.be.instanceOf(Date);
      expect(runner.isRunning('landuse')).to.equal(true);
      open();
      await runner.whenDone(job.id);
      unsubscribe();
      const done = (await getJob(pool, job.id))!;
      expect(done).to.deep.include({ status: 'succeeded', phase: 'publish', version: 1, error: null });
      expect(done.progress).to.deep.equal({ filesTotal: 1, filesDone: 1, bytesTotal: await deliveryBytes(), bytesDone: await deliveryBytes(), featuresDone: 20 });
      expect(done.counts).to.deep.equal({ read: 20, loaded: 20, rejected: 0 });
      expect(done.qaReport!.passed).to.equal(true);
      expect(events.filter((event) => event.type === 'progress')).to.have.length.of.at.least(1);
      expect(events.at(-1)).to.deep.equal({ jobId: job.id, type: 'end' });
      expect(runner.isRunning('landuse')).to.equal(false);
      expect(runner.listenerCount()).to.equal(0);
    });
  });

  describe('given a delivery the import refuses', () => {
    it('records the job as failed with the message naming the file, and the phase it stopped in', async () => {
      await deliver(parcelRow(3, { x0: 470_000.5 }));
      const runner = new ImportJobRunner({ pool, config, logger: silentLogger });
      const job = await runner.start('landuse', ADMIN);
      await runner.whenDone(job.id);
      const failed = (await getJob(pool, job.id))!;
      expect(failed.status).to.equal('failed');
      expect(failed.error).to.match(/DLTB\.shp: /);
      expect(failed.phase).to.be.oneOf(['read', 'prepare']);
      expect(failed.finishedAt).to.be.instanceOf(Date);
    });
  });

  describe('given two starts of one dataset in this process at the same moment', () => {
    it('queues one and refuses the other with ImportRunningError (409)', async () => {
      await deliver(parcelRow(5));
      const { importer, open } = gatedImporter();
      const runner = new ImportJobRunner({ pool, config, logger: silentLogger, importer });
      const [first, second] = await Promise.allSettled([runner.start('landuse', ADMIN), runner.start('landuse', ADMIN)]);
      const outcomes = [first, second].map((outcome) => outcome.status).sort();
      expect(outcomes).to.deep.equal(['fulfilled', 'rejected']);
      const refused = [first, second].find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).to.be.instanceOf(ImportRunningError).with.property('status', 409);
      const started = [first, second].find((outcome) => outcome.status === 'fulfilled') as PromiseFulfilledResult<{ id: number }>;
      open();
      await runner.whenDone(started.value.id);
      expect((await getJob(pool, started.value.id))!.status).to.equal('succeeded');
    });
  });

  describe('given another process importing the dataset (its import lock held)', () => {
    let other: PoolClient;
    let unlock: () => Promise<void>;

    before(async () => {
      other = await pool.connect();
      unlock = await lockDatasetImport(other, 'landuse');
    });

    after(() => other.release());

    it('refuses to queue a job, and queues one once the lock is released', async () => {
      const runner = new ImportJobRunner({ pool, config, logger: silentLogger });
      const { rows: before } = await pool.query('SELECT count(*)::int AS n FROM meta.import_jobs');
      const error = await runner.start('landuse', ADMIN).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ImportRunningError);
      const { rows: after } = await pool.query('SELECT count(*)::int AS n FROM meta.import_jobs');
      expect(after).to.deep.equal(before);
      expect(runner.isRunning('landuse')).to.equal(false);
      await unlock();
      const job = await runner.start('landuse', ADMIN);
      await runner.whenDone(job.id);
      expect((await getJob(pool, job.id))!.status).to.equal('succeeded');
    });
  });

  describe('given jobs whose process died', () => {
    async function insertJob(status: 'queued' | 'running', heartbeatAgoSeconds: number | null): Promise<number> {
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO meta.import_jobs (dataset_id, status, trigger, started_by, started_at, heartbeat_at)
         VALUES ('landuse', $1, 'admin', 'dead process', now(), CASE WHEN $2::int IS NULL THEN NULL ELSE now() - make_interval(secs => $2::int) END)
         RETURNING id`,
        [status, heartbeatAgoSeconds],
      );
      return Number(rows[0]!.id);
    }

    it('shows a running job without its import lock as failed (abandoned) on the next read', async () => {
      const id = await insertJob('running', null);
      const job = (await getJob(pool, id))!;
      expect(job).to.deep.include({ status: 'failed', error: ABANDONED_MESSAGE });
    });

    it('leaves a running job alone while its import lock is held (a CLI import has no heartbeat)', async () => {
      const client = await pool.connect();
      try {
        const unlock = await lockDatasetImport(client, 'landuse');
        const id = await insertJob('running', null);
        expect((await getJob(pool, id))!.status).to.equal('running');
        await unlock();
        expect((await getJob(pool, id))!.status).to.equal('failed');
      } finally {
        client.release();
      }
    });

    it('marks a queued job failed once its heartbeat is stale, not before', async () => {
      const stale = await insertJob('queued', 120);
      const fresh = await insertJob('queued', 1);
      const jobs = await listJobs(pool, { datasetIds: ['landuse'], limit: 10 }, 60_000);
      expect(jobs.find((job) => job.id === stale)!.status).to.equal('failed');
      expect(jobs.find((job) => job.id === fresh)!.status).to.equal('queued');
      // The fresh one still blocks a new start (a runner elsewhere is about to run it)...
      const runner = new ImportJobRunner({ pool, config, logger: silentLogger, staleAfterMs: 60_000 });
      expect(await runner.start('landuse', ADMIN).then(() => null, (caught: unknown) => caught)).to.be.instanceOf(ImportRunningError);
      // ...until it too goes stale.
      await pool.query(`UPDATE meta.import_jobs SET heartbeat_at = now() - interval '2 minutes' WHERE id = $1`, [fresh]);
      expect(await runner.recoverAbandonedJobs()).to.deep.equal([fresh]);
      const job = await runner.start('landuse', ADMIN);
      await runner.whenDone(job.id);
      expect((await getJob(pool, job.id))!.status).to.equal('succeeded');
    });
  });

  describe('close()', () => {
    it('aborts a running import, records it failed, and refuses new starts with 503', async () => {
      const { importer, open } = gatedImporter();
      const runner = new ImportJobRunner({ pool, config, logger: silentLogger, importer });
      const job = await runner.start('landuse', ADMIN);
      const closing = runner.close();
      open();
      await closing;
      const ended = (await getJob(pool, job.id))!;
      expect(ended.status).to.equal('failed');
      expect(ended.error).to.match(/abort|shutting down/i);
      expect(await runner.start('landuse', ADMIN).then(() => null, (caught: unknown) => caught)).to.have.property('status', 503);
    });
  });
});

describe('ProgressWriter (pipeline/jobs)', () => {
  it('writes only the latest state, one write at a time and in order', async () => {
    const written: string[] = [];
    let release = () => undefined as void;
    let started = () => undefined as void;
    const firstWriteStarted = new Promise<void>((resolve) => (started = resolve));
    let writing = 0;
    let mostAtOnce = 0;
    const writer = new ProgressWriter<string>(
      async (state) => {
        writing++;
        mostAtOnce = Math.max(mostAtOnce, writing);
        if (state === 'b') {
          started();
          await new Promise<void>((resolve) => (release = resolve));
        }
        written.push(state);
        writing--;
      },
      60_000,
      () => undefined,
      (error) => { throw error; },
    );
    await writer.update('a', false);
    const first = writer.update('b', true);
    await firstWriteStarted;
    const second = writer.update('c', false);
    const third = writer.update('d', true);
    release();
    await Promise.all([first, second, third]);
    writer.close();
    // 'a' was replaced before any write; 'c' by 'd' while 'b' was being written.
    expect(written).to.deep.equal(['b', 'd']);
    expect(mostAtOnce).to.equal(1);
  });

  it('reports a failed write and keeps writing later states', async () => {
    const errors: unknown[] = [];
    const written: number[] = [];
    const writer = new ProgressWriter<number>(
      async (state) => {
        if (state === 1) throw new Error('database restarting');
        written.push(state);
      },
      60_000,
      () => undefined,
      (error) => errors.push(error),
    );
    await writer.update(1, true);
    await writer.update(2, true);
    expect(errors).to.have.length(1);
    expect(written).to.deep.equal([2]);
  });
});
