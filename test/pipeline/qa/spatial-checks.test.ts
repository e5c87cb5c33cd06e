import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { importDataset } from '../../../pipeline/import/import-dataset.js';
import { generateSample } from '../../../pipeline/sample/generate-sample.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { parcelRow, prjOf, writeParcelShapefile, type ParcelSpec } from '../import/delivery-fixture.js';

/** Inside 东昌府区 in zone 39 (116.2°E 36.4°N). */
const INSIDE = { x0: 39_428_300.125, y0: 4_029_000.5 };
/** East of Liaocheng (116.67°E), outside every county. */
const OUTSIDE = { x0: 39_470_000.125, y0: 4_030_000.5 };

describe('QA checks that compare features (pipeline/qa)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let inbox: string;
  let config: AppConfig;

  before(async () => {
    database = await createTestDatabase('qa_spatial');
    inbox = await mkdtemp(join(tmpdir(), 'planmap-qa-'));
    config = testConfig(database.url, (raw) => {
      raw.pipeline = { importRoots: [inbox] };
      (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: 'dltb' };
    });
    pool = await openMigratedPool(config);
    // Publishes the county outlines the county check compares with.
    await generateSample(pool, config, { parcels: 100, seed: 'qa' }, silentLogger);
  });

  after(async () => {
    await pool.end();
    await database.drop();
    await rm(inbox, { recursive: true, force: true });
  });

  async function importParcels(parcels: ParcelSpec[]) {
    await rm(join(inbox, 'dltb'), { recursive: true, force: true });
    await writeParcelShapefile(join(inbox, 'dltb', 'DLTB'), parcels, { prj: await prjOf(pool, 4527) });
    return importDataset(pool, config, 'landuse', { trigger: 'cli', startedBy: 'test' }, silentLogger);
  }

  describe('given two parcels of the delivery that overlap by 10 m x 50 m', () => {
    it('reports the overlap with both features and its area, as a warning, and still publishes', async () => {
      const [first, second] = parcelRow(2, INSIDE);
      const result = await importParcels([first!, { ...second!, x: first!.x + 90 }]);
      const overlap = result.report.findings.find((finding) => finding.rule === 'overlaps');
      expect(overlap).to.include({ level: 'warn', count: 1 });
      expect(overlap!.examples[0]!.feature).to.equal(1);
      const match = /overlaps .*DLTB\.shp feature 2 by ([\d.]+) m²$/.exec(overlap!.examples[0]!.detail);
      expect(match, overlap!.examples[0]!.detail).to.not.equal(null);
      // 500 m² in the Gauss-Kruger plane; the ellipsoid differs by the zone's scale error.
      expect(Number(match![1])).to.be.closeTo(500, 0.5);
      expect(result.version).to.not.equal(null);
    });
  });

  describe('given parcels that touch but do not overlap', () => {
    it('reports no overlap', async () => {
      const result = await importParcels(parcelRow(3, INSIDE));
      expect(result.report.findings.map((finding) => finding.rule)).to.not.include('overlaps');
    });
  });

  describe('given a parcel outside every county of Liaocheng', () => {
    it('reports it with the area outside, and not the parcels inside', async () => {
      const inside = parcelRow(2, INSIDE);
      const outside = parcelRow(1, { ...OUTSIDE, prefix: '371599' });
      const result = await importParcels([...inside, ...outside]);
      const finding = result.report.findings.find((candidate) => candidate.rule === 'outsideCounty');
      expect(finding).to.include({ level: 'warn', count: 1 });
      expect(finding!.examples[0]!.feature).to.equal(3);
      const match = /^([\d.]+) m² outside any county$/.exec(finding!.examples[0]!.detail);
      expect(match, finding!.examples[0]!.detail).to.not.equal(null);
      expect(Number(match![1])).to.be.closeTo(5000, 5);
    });
  });

  describe('given a county dataset of 阳谷县 (countyCode 371521) with a parcel in 东昌府区', () => {
    it('reports the part outside its own county', async () => {
      const countyConfig = testConfig(database.url, (raw) => {
        raw.pipeline = { importRoots: [inbox] };
        const landuse = (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!;
        landuse.source = { path: 'dltb' };
        landuse.countyCode = '371521';
      });
      await rm(join(inbox, 'dltb'), { recursive: true, force: true });
      await writeParcelShapefile(join(inbox, 'dltb', 'DLTB'), parcelRow(1, INSIDE), { prj: await prjOf(pool, 4527) });
      const result = await importDataset(pool, countyConfig, 'landuse', { trigger: 'cli', startedBy: 'test' }, silentLogger);
      const finding = result.report.findings.find((candidate) => candidate.rule === 'outsideCounty');
      expect(finding, 'a 东昌府区 parcel is outside 阳谷县 (371521)').to.include({ count: 1 });
      expect(finding!.message).to.match(/county 371521/);
    });
  });
});
