import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { ImportError } from '../../../core/errors.js';
import { importDataset } from '../../../pipeline/import/import-dataset.js';
import { ImportRunningError, lockDatasetImport } from '../../../pipeline/import/import-lock.js';
import { rollbackDataset } from '../../../pipeline/publish/dataset-versions.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { parcelRow, prjOf, writeParcelShapefile } from './delivery-fixture.js';

const CLI = { trigger: 'cli', startedBy: 'test' } as const;

describe('importDataset (pipeline/import)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let inbox: string;
  let config: AppConfig;

  before(async () => {
    database = await createTestDatabase('import');
    inbox = await mkdtemp(join(tmpdir(), 'planmap-inbox-'));
    config = testConfig(database.url, (raw) => {
      raw.pipeline = { importRoots: [inbox] };
      const landuse = (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!;
      landuse.source = { path: 'dltb' };
    });
    pool = await openMigratedPool(config);
  });

  after(async () => {
    await pool.end();
    await database.drop();
    await rm(inbox, { recursive: true, force: true });
  });

  async function deliver(name: string, parcels: ReturnType<typeof parcelRow>, srid = 4527, cpg = false): Promise<void> {
    await rm(join(inbox, 'dltb'), { recursive: true, force: true });
    await writeParcelShapefile(join(inbox, 'dltb', name), parcels, { prj: await prjOf(pool, srid), cpg });
  }

  async function liveState(): Promise<{ version: number | null; count: number }> {
    const { rows } = await pool.query<{ live_version: number | null }>(`SELECT live_version FROM meta.datasets WHERE id = 'landuse'`);
    const version = rows[0]?.live_version ?? null;
    if (version === null) return { version, count: 0 };
    const { rows: counted } = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM live.landuse');
    return { version, count: counted[0]!.count };
  }

  async function leftoverTables(): Promise<string[]> {
    const { rows } = await pool.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'data' AND tablename ~ '__(staging|work)_'`);
    return rows.map((row) => row.tablename);
  }

  /** Version tables of landuse that no meta.dataset_versions row names. */
  async function versionTablesWithoutRow(): Promise<string[]> {
    const { rows } = await pool.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'data' AND tablename ~ '^landuse__v[0-9]+$'
          AND tablename NOT IN (SELECT table_name FROM meta.dataset_versions)`,
    );
    return rows.map((row) => row.tablename);
  }

  describe('given a GBK Shapefile without .cpg in Gauss-Kruger zone 39 (EPSG:4527)', () => {
    it('publishes version 1 with the attributes exact and the geometry in EPSG:4490 within 1 mm of the source', async () => {
      await deliver('DLTB', parcelRow(20));
      const result = await importDataset(pool, config, 'landuse', CLI, silentLogger);
      expect(result.version).to.equal(1);
      expect(result.report.passed).to.equal(true);
      expect(result.report.featuresLoaded).to.equal(20);
      const { rows } = await pool.query<{ DLMC: string; QSDWMC: string; TBMJ: number; srid: number; moved: number }>(
        `SELECT "DLMC", "QSDWMC", "TBMJ", ST_SRID(geom) AS srid,
                ST_HausdorffDistance(ST_Transform(geom, 4527),
                  ST_SetSRID(ST_MakeEnvelope(39470000.123, 4030000.456, 39470100.123, 4030050.456), 4527)) AS moved
           FROM live.landuse ORDER BY "BSM" LIMIT 1`,
      );
      expect(rows[0]).to.include({ DLMC: '水田', QSDWMC: '张庄村民委员会', TBMJ: 5000, srid: 4490 });
      expect(rows[0]!.moved).to.be.below(0.001);
      expect(await leftoverTables()).to.deep.equal([]);
      const { rows: jobs } = await pool.query(`SELECT status, version, counts FROM meta.import_jobs WHERE id = $1`, [result.jobId]);
      expect(jobs[0]).to.deep.equal({ status: 'succeeded', version: 1, counts: { read: 20, loaded: 20, rejected: 0 } });
    });
  });

  describe('given a delivery whose class codes are not in the 三调 classification', () => {
    it('fails QA, names the features, and leaves the live version exactly as it was', async () => {
      const before = await liveState();
      await deliver('DLTB', parcelRow(5, { dlbm: '9999', dlmc: '未知' }));
      const result = await importDataset(pool, config, 'landuse', CLI, silentLogger);
      expect(result.version).to.equal(null);
      const finding = result.report.findings.find((candidate) => candidate.rule === 'unknownClassCodes');
      expect(finding).to.include({ level: 'fail', count: 5 });
      expect(finding!.examples[0]!.detail).to.equal('DLBM "9999" is not a 三调 class');
      expect(finding!.examples[0]!.feature).to.equal(1);
      expect(await liveState()).to.deep.equal(before);
      expect(await leftoverTables()).to.deep.equal([]);
      // The version filled beside QA was rolled back: no table, no version row, no number used.
      expect(await versionTablesWithoutRow()).to.deep.equal([]);
      const { rows } = await pool.query<{ versions: number }>(`SELECT count(*)::int AS versions FROM meta.dataset_versions WHERE dataset_id = 'landuse'`);
      expect(rows[0]!.versions).to.equal(before.version ?? 0);
    });
  });

  describe('given eastings without the zone prefix under a .prj of zone 39 with prefix', () => {
    it('refuses the delivery saying what was expected and found, and changes nothing', async () => {
      const before = await liveState();
      await deliver('DLTB', parcelRow(3, { x0: 470_000.5 }));
      const error = await importDataset(pool, config, 'landuse', CLI, silentLogger).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ImportError);
      expect((error as ImportError).file).to.match(/DLTB\.shp$/);
      expect((error as Error).message).to.match(/39/);
      expect(await liveState()).to.deep.equal(before);
      expect(await leftoverTables()).to.deep.equal([]);
      const { rows } = await pool.query(`SELECT status, error IS NOT NULL AS has_error FROM meta.import_jobs ORDER BY id DESC LIMIT 1`);
      expect(rows[0]).to.deep.equal({ status: 'failed', has_error: true });
    });
  });

  describe('given a county delivered in two Gauss-Kruger zones (EPSG:4526 and 4527)', () => {
    it('imports both files together as one version', async () => {
      await rm(join(inbox, 'dltb'), { recursive: true, force: true });
      // West of 115.5°E in zone 38, east of it in zone 39: the same line of parcels, cut at the zone border.
      await writeParcelShapefile(join(inbox, 'dltb', 'west', 'DLTB'), parcelRow(4, { x0: 38_616_000.25, prefix: '371522' }), { prj: await prjOf(pool, 4526) });
      await writeParcelShapefile(join(inbox, 'dltb', 'east', 'DLTB'), parcelRow(6, { x0: 39_370_000.75, prefix: '371521' }), { prj: await prjOf(pool, 4527) });
      const result = await importDataset(pool, config, 'landuse', CLI, silentLogger);
      expect(result.version).to.equal(2);
      expect(await liveState()).to.deep.equal({ version: 2, count: 10 });
      const { rows } = await pool.query<{ west: number; east: number }>(
        `SELECT min(ST_XMin(geom)) AS west, max(ST_XMax(geom)) AS east FROM live.landuse`,
      );
      expect(rows[0]!.west).to.be.below(115.5);
      expect(rows[0]!.east).to.be.above(115.5);
    });
  });

  describe('rollbackDataset', () => {
    it('makes the previous version live again', async () => {
      const client = await pool.connect();
      try {
        expect(await rollbackDataset(client, 'landuse')).to.equal(1);
      } finally {
        client.release();
      }
      expect(await liveState()).to.deep.equal({ version: 1, count: 20 });
    });
  });

  describe('given an import of the dataset already running', () => {
    it('refuses the second with ImportRunningError (409)', async () => {
      const holder = await pool.connect();
      const unlock = await lockDatasetImport(holder, 'landuse');
      try {
        const error = await importDataset(pool, config, 'landuse', CLI, silentLogger).then(() => null, (caught: unknown) => caught);
        expect(error).to.be.instanceOf(ImportRunningError);
        expect((error as ImportRunningError).status).to.equal(409);
      } finally {
        await unlock();
        holder.release();
      }
    });
  });

  describe('given a source path that leaves the import roots', () => {
    it('refuses it before opening anything', async () => {
      const escaping = testConfig(database.url, (raw) => {
        raw.pipeline = { importRoots: [inbox] };
        (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: '../etc/passwd' };
      });
      const error = await importDataset(pool, escaping, 'landuse', CLI, silentLogger).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ImportError);
      expect((error as Error).message).to.match(/must be relative to an import root/);
    });
  });
});
