import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { importDataset } from '../../../pipeline/import/import-dataset.js';
import { ImportJobRunner } from '../../../pipeline/jobs/import-job-runner.js';
import { createImportScheduler, importInProcess, importThroughJobs } from '../../../pipeline/schedule/create-import-scheduler.js';
import type { ImportScheduler, RunScheduledImport } from '../../../pipeline/schedule/import-scheduler.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { parcelRow, prjOf, writeParcelShapefile } from '../import/delivery-fixture.js';
import { holdLockInAnotherProcess } from './lock-holder.js';

/**
 * Scheduled ticks against a real database and real imports (importDataset). The cron itself is
 * covered on a fake clock (import-scheduler.test.ts); here each tick is called as cron would.
 */
describe('scheduled imports (pipeline/schedule) against PostGIS', () => {
  let database: TestDatabase;
  let pool: Pool;
  let inbox: string;
  let config: AppConfig;
  let runImport: RunScheduledImport;
  let scheduler: ImportScheduler;

  before(async () => {
    database = await createTestDatabase('schedule');
    inbox = await mkdtemp(join(tmpdir(), 'planmap-scheduled-'));
    config = testConfig(database.url, (raw) => {
      raw.pipeline = { importRoots: [inbox] };
      const landuse = (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!;
      landuse.source = { path: 'dltb' };
      landuse.schedule = { cron: '*/15 * * * *' };
    });
    pool = await openMigratedPool(config);
    const inProcess = importInProcess(pool, config, silentLogger);
    scheduler = createImportScheduler({ pool, config, logger: silentLogger, runImport: (datasetId, request) => runImport(datasetId, request) });
    runImport = inProcess;
  });

  after(async () => {
    await scheduler.stop();
    await pool.end();
    await database.drop();
    await rm(inbox, { recursive: true, force: true });
  });

  afterEach(() => {
    runImport = importInProcess(pool, config, silentLogger);
  });

  async function deliver(parcels: ReturnType<typeof parcelRow>): Promise<void> {
    await rm(join(inbox, 'dltb'), { recursive: true, force: true });
    await writeParcelShapefile(join(inbox, 'dltb', 'DLTB'), parcels, { prj: await prjOf(pool, 4527) });
  }

  async function jobs(): Promise<{ id: number; status: string; trigger: string; started_by: string; version: number | null; error: string | null; fingerprint: string | null }[]> {
    const { rows } = await pool.query(
      `SELECT id::int, status, trigger, started_by, version, error, source->>'fingerprint' AS fingerprint FROM meta.import_jobs WHERE dataset_id = 'landuse' ORDER BY id`,
    );
    return rows;
  }

  async function live(): Promise<{ version: number | null; count: number; names: string[] }> {
    const { rows } = await pool.query<{ live_version: number | null }>(`SELECT live_version FROM meta.datasets WHERE id = 'landuse'`);
    const version = rows[0]?.live_version ?? null;
    if (version === null) return { version, count: 0, names: [] };
    const { rows: data } = await pool.query<{ count: number; names: string[] }>(`SELECT count(*)::int AS count, array_agg(DISTINCT "DLMC" ORDER BY "DLMC") AS names FROM live.landuse`);
    return { version, count: data[0]!.count, names: data[0]!.names };
  }

  it('imports the first delivery, recording trigger "schedule", "cron" and the fingerprint of every file read', async () => {
    await deliver(parcelRow(12));
    expect(await scheduler.tick('landuse')).to.equal('import-ran');
    expect(await live()).to.deep.equal({ version: 1, count: 12, names: ['水田'] });
    const [job] = await jobs();
    expect(job).to.include({ status: 'succeeded', trigger: 'schedule', started_by: 'cron', version: 1 });
    expect(job!.fingerprint).to.match(/^sha256:[0-9a-f]{64}$/);
    const { rows } = await pool.query<{ files: { path: string }[] }>(`SELECT source->'files' AS files FROM meta.import_jobs WHERE id = $1`, [job!.id]);
    expect(rows[0]!.files.map((file) => file.path)).to.deep.equal(['dltb/DLTB.dbf', 'dltb/DLTB.prj', 'dltb/DLTB.shp', 'dltb/DLTB.shx']);
  });

  it('does not import an unchanged delivery, even one written again with the same bytes', async () => {
    expect(await scheduler.tick('landuse')).to.equal('unchanged');
    await deliver(parcelRow(12));
    expect(await scheduler.tick('landuse')).to.equal('unchanged');
    expect(await jobs()).to.have.length(1);
  });

  it('imports when only the attributes changed (a corrected .dbf)', async () => {
    await deliver(parcelRow(12, { dlbm: '0103', dlmc: '旱地' }));
    expect(await scheduler.tick('landuse')).to.equal('import-ran');
    expect(await live()).to.deep.equal({ version: 2, count: 12, names: ['旱地'] });
    const all = await jobs();
    expect(all).to.have.length(2);
    expect(all[1]!.fingerprint).to.not.equal(all[0]!.fingerprint);
  });

  it('does not import again what the CLI already imported', async () => {
    await deliver(parcelRow(15, { dlbm: '0103', dlmc: '旱地' }));
    const result = await importDataset(pool, config, 'landuse', { trigger: 'cli', startedBy: 'test' }, silentLogger);
    expect(result.version).to.equal(3);
    expect(await scheduler.tick('landuse')).to.equal('unchanged');
    expect(await jobs()).to.have.length(3);
  });

  describe('given a delivery that fails QA', () => {
    it('imports it once (the job fails, live stays), then waits for a new delivery instead of retrying it', async () => {
      const before = await live();
      await deliver(parcelRow(5, { dlbm: '9999', dlmc: '未知' }));
      expect(await scheduler.tick('landuse')).to.equal('import-ran');
      expect(await live()).to.deep.equal(before);
      expect((await jobs()).at(-1)).to.include({ status: 'failed', version: null });
      expect(await scheduler.tick('landuse')).to.equal('refused');
      expect(await jobs()).to.have.length(4);
      await deliver(parcelRow(16, { dlbm: '0103', dlmc: '旱地' }));
      expect(await scheduler.tick('landuse')).to.equal('import-ran');
      expect(await live()).to.deep.equal({ version: 4, count: 16, names: ['旱地'] });
    });
  });

  describe('given a source that disappears between the check and the import', () => {
    it('fails the job with a message naming the path, and leaves live untouched', async () => {
      await deliver(parcelRow(17, { dlbm: '0103', dlmc: '旱地' }));
      const before = await live();
      const jobsBefore = (await jobs()).length;
      runImport = async (datasetId, request) => {
        await rm(join(inbox, 'dltb'), { recursive: true, force: true });
        return importDataset(pool, config, datasetId, request, silentLogger);
      };
      expect(await scheduler.tick('landuse')).to.equal('failed');
      const all = await jobs();
      expect(all).to.have.length(jobsBefore + 1);
      expect(all.at(-1)).to.include({ status: 'failed', trigger: 'schedule', version: null });
      expect(all.at(-1)!.error).to.include('dltb').and.include('source.path of dataset "landuse"');
      expect(await live()).to.deep.equal(before);
    });

    it('fails the job naming the file when part of a Shapefile (its .dbf) went missing meanwhile', async () => {
      await deliver(parcelRow(17, { dlbm: '0103', dlmc: '旱地' }));
      const before = await live();
      runImport = async (datasetId, request) => {
        await rm(join(inbox, 'dltb', 'DLTB.dbf'));
        return importDataset(pool, config, datasetId, request, silentLogger);
      };
      expect(await scheduler.tick('landuse')).to.equal('failed');
      const job = (await jobs()).at(-1)!;
      expect(job).to.include({ status: 'failed', trigger: 'schedule', version: null });
      expect(job.error).to.equal(`${join(inbox, 'dltb', 'DLTB.dbf')}: is missing: a shapefile needs its attribute table (.dbf) beside the .shp`);
      expect(await live()).to.deep.equal(before);
    });
  });

  describe('through the job runner (pipeline/jobs)', () => {
    it('runs the import as a job, settles when it has ended, and sees it as imported on the next tick', async () => {
      await deliver(parcelRow(14, { dlbm: '0101', dlmc: '水田' }));
      const runner = new ImportJobRunner({ pool, config, logger: silentLogger });
      runImport = importThroughJobs(runner);
      try {
        expect(await scheduler.tick('landuse')).to.equal('import-ran');
        const job = (await jobs()).at(-1)!;
        expect(job).to.include({ status: 'succeeded', trigger: 'schedule', started_by: 'cron' });
        expect(job.fingerprint).to.match(/^sha256:/);
        expect(await live()).to.include({ count: 14 });
        expect(await scheduler.tick('landuse')).to.equal('unchanged');
      } finally {
        await runner.close();
      }
    });
  });

  describe('given no delivery at all', () => {
    it('reports "unavailable" and starts no job', async () => {
      await rm(join(inbox, 'dltb'), { recursive: true, force: true });
      const count = (await jobs()).length;
      expect(await scheduler.tick('landuse')).to.equal('unavailable');
      expect(await jobs()).to.have.length(count);
    });
  });

  describe('with another process (a replica, the CLI) on the same database', () => {
    it('skips while that process holds the import lock, and imports once it is killed (kill -9 releases the lock)', async () => {
      await deliver(parcelRow(18, { dlbm: '0103', dlmc: '旱地' }));
      const holder = await holdLockInAnotherProcess(database.url, 'import', 'landuse');
      const count = (await jobs()).length;
      expect(await scheduler.tick('landuse')).to.equal('running-elsewhere');
      expect(await jobs()).to.have.length(count);
      await holder.kill();
      expect(await scheduler.tick('landuse')).to.equal('import-ran');
      expect((await live()).count).to.equal(18);
    });

    it('leaves the tick to the replica holding the schedule lock, and takes over once that replica is killed', async () => {
      await deliver(parcelRow(19, { dlbm: '0103', dlmc: '旱地' }));
      const holder = await holdLockInAnotherProcess(database.url, 'schedule', 'landuse');
      expect(await scheduler.tick('landuse')).to.equal('led-elsewhere');
      await holder.kill();
      expect(await scheduler.tick('landuse')).to.equal('import-ran');
      expect((await live()).count).to.equal(19);
    });
  });
});
