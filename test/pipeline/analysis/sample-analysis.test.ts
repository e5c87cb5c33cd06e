import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { refreshAnalysis, type RefreshResult } from '../../../pipeline/analysis/refresh-analysis.js';
import { generateSample } from '../../../pipeline/sample/generate-sample.js';
import { generateSampleControlLines } from '../../../pipeline/sample/sample-control-lines.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';

/** The Liaocheng sample with its control lines (what `npm run sample` publishes), analysed. */
describe('the sample control lines and their analysis (pipeline/sample, pipeline/analysis)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let config: AppConfig;
  let published: Record<string, { version: number; featureCount: number }>;
  let result: RefreshResult;

  before(async function () {
    this.timeout(300_000);
    database = await createTestDatabase('analysis_sample');
    config = testConfig(database.url);
    pool = await openMigratedPool(config);
    const options = { parcels: 400, seed: 'analysis' };
    await generateSample(pool, config, options, silentLogger);
    published = await generateSampleControlLines(pool, config, options, silentLogger);
    result = await refreshAnalysis(pool, config, silentLogger);
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  it('publishes the three control lines and the planning zones, each with features', () => {
    expect(Object.keys(published).sort()).to.deep.equal(['czkfbj', 'ghfq', 'stbhhx', 'yjjbnt']);
    for (const [id, { version, featureCount }] of Object.entries(published)) {
      expect(version, id).to.equal(1);
      expect(featureCount, id).to.be.greaterThan(0);
    }
  });

  it('finds farmland outside the basic farmland (the sample protects 90 % of rural farmland) and runs every check', () => {
    const summary = result.conflicts!.summary;
    expect(summary.skipped).to.deep.equal([]);
    expect(Object.keys(summary.byType).sort()).to.deep.equal([...config.analysis.checks].sort());
    const outside = summary.byType.farmland_outside_basic_farmland!;
    expect(outside.features - outside.slivers).to.be.greaterThan(0);
    expect(result.conflicts!.version).to.equal(1);
  });

  it('counts the control lines and the land use of all eight counties', async () => {
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(DISTINCT county_code) AS n FROM meta.stat_landuse_classes WHERE dataset_id = 'landuse' AND county_code IS NOT NULL`,
    );
    expect(Number(rows[0]!.n)).to.equal(8);
    const { rows: lines } = await pool.query<{ role: string; n: string }>(
      `SELECT role, count(DISTINCT county_code) AS n FROM meta.stat_control_lines WHERE run_id = $1 GROUP BY role ORDER BY role`,
      [result.conflicts!.runId],
    );
    const counties = Object.fromEntries(lines.map((row) => [row.role, Number(row.n)]));
    expect([counties.basic_farmland, counties.red_line]).to.deep.equal([8, 8]);
    // With 400 parcels a small county may have no built-up cluster near its seat to draw a boundary round.
    expect(counties.development_boundary).to.be.within(1, 8);
  });

  it('adds up the land-use area to the area of the county outlines (to 1 part in 10⁸)', async () => {
    const { rows } = await pool.query<{ landuse: number; counties: number }>(
      `SELECT (SELECT sum(area_m2) FROM meta.stat_landuse_classes WHERE dataset_id = 'landuse') AS landuse,
              (SELECT sum(ST_Area(geom::geography)) FROM live.county) AS counties`,
    );
    expect(rows[0]!.landuse).to.be.closeTo(rows[0]!.counties, rows[0]!.counties * 1e-8);
  });
});
