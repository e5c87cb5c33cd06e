import { expect } from 'chai';
import { loadSandiaoClasses } from '../../../core/classification/sandiao-classes.js';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { generateSample } from '../../../pipeline/sample/generate-sample.js';
import { sampleFixture, FIXTURE_PARCELS } from '../../support/sample-fixture.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';

describe('the Liaocheng sample (pipeline/sample)', () => {
  describe('given the suite fixture', () => {
    it('makes about the requested number of parcels', async () => {
      const { rows } = await sampleFixture().pool.query<{ count: string }>('SELECT count(*) FROM live.landuse');
      expect(Number(rows[0]!.count)).to.be.within(FIXTURE_PARCELS * 0.95, FIXTURE_PARCELS * 1.1);
    });

    it('tessellates each county: parcels cover its outline without gaps or overlaps', async () => {
      const { rows } = await sampleFixture().pool.query<{ code: string; county_m2: number; parcels_m2: number; union_m2: number }>(
        `SELECT c."XZQDM" AS code, ST_Area(c.geom::geography) AS county_m2,
                sum(ST_Area(p.geom::geography)) AS parcels_m2, ST_Area(ST_Union(p.geom)::geography) AS union_m2
           FROM live.county c JOIN live.landuse p ON p."XZQDM" = c."XZQDM"
          GROUP BY c."XZQDM", c.geom ORDER BY 1`,
      );
      expect(rows.map((row) => row.code)).to.deep.equal(['371502', '371503', '371521', '371522', '371524', '371525', '371526', '371581']);
      for (const row of rows) {
        // Sum of parts = union (no overlaps) = county (no gaps), to a square metre per km².
        expect(row.parcels_m2 / row.county_m2, `${row.code} coverage`).to.be.closeTo(1, 1e-6);
        expect(row.union_m2 / row.parcels_m2, `${row.code} overlaps`).to.be.closeTo(1, 1e-6);
      }
    });

    it('writes valid polygons in EPSG:4490 with a consistent EPSG:3857 copy', async () => {
      const { rows } = await sampleFixture().pool.query<{ invalid: string; srid: number; srid_3857: number; off: string }>(
        `SELECT count(*) FILTER (WHERE NOT ST_IsValid(geom)) AS invalid, min(ST_SRID(geom)) AS srid, min(ST_SRID(geom_3857)) AS srid_3857,
                count(*) FILTER (WHERE NOT ST_Equals(ST_SnapToGrid(ST_Transform(geom, 3857), 0.001), ST_SnapToGrid(geom_3857, 0.001))) AS off
           FROM live.landuse`,
      );
      expect(rows[0]).to.deep.equal({ invalid: '0', srid: 4490, srid_3857: 3857, off: '0' });
    });

    it('uses only 三调 class codes, with their names, and 19-digit ownership codes of the county', async () => {
      const classes = loadSandiaoClasses();
      const { rows } = await sampleFixture().pool.query<{ DLBM: string; DLMC: string }>('SELECT DISTINCT "DLBM", "DLMC" FROM live.landuse');
      expect(rows.length).to.be.greaterThan(10);
      for (const row of rows) expect(classes.get(row.DLBM)?.name, row.DLBM).to.equal(row.DLMC);
      const { rows: bad } = await sampleFixture().pool.query(
        `SELECT "BSM", "QSDWDM", "XZQDM" FROM live.landuse
          WHERE "QSDWDM" !~ '^[0-9]{19}$' OR left("QSDWDM", 6) <> "XZQDM" OR "BSM" !~ '^[0-9]{18}$' OR "QSDWMC" !~ '村民委员会$'`,
      );
      expect(bad).to.deep.equal([]);
    });

    it('states TBMJ as the ellipsoidal area in square metres, and TBDLMJ + KCMJ = TBMJ', async () => {
      const { rows } = await sampleFixture().pool.query<{ worst: number; worst_split: number }>(
        `SELECT max(abs("TBMJ" - ST_Area(geom::geography))) AS worst, max(abs("TBDLMJ" + "KCMJ" - "TBMJ")) AS worst_split FROM live.landuse`,
      );
      expect(rows[0]!.worst).to.be.below(0.006);
      expect(rows[0]!.worst_split).to.be.below(0.011);
    });
  });

  describe('given a fresh database', () => {
    let database: TestDatabase;
    let config: AppConfig;
    let pool: Pool;

    before(async () => {
      database = await createTestDatabase('generator');
      config = testConfig(database.url, (raw) => {
        for (const dataset of raw.datasets as Record<string, unknown>[]) dataset.keepVersions = 1;
      });
      pool = await openMigratedPool(config);
    });

    after(async () => {
      await pool.end();
      await database.drop();
    });

    it('is deterministic for a seed, and each run publishes a new version', async () => {
      const first = await generateSample(pool, config, { parcels: 300, seed: 'same' }, silentLogger);
      const fingerprint = async () =>
        (await pool.query<{ md5: string }>(`SELECT md5(string_agg("BSM" || "DLBM" || ST_AsBinary(geom)::text, ',' ORDER BY "BSM")) FROM live.landuse`)).rows[0]!.md5;
      const before = await fingerprint();
      const second = await generateSample(pool, config, { parcels: 300, seed: 'same' }, silentLogger);
      expect(await fingerprint()).to.equal(before);
      expect([first.landuse.version, second.landuse.version]).to.deep.equal([1, 2]);
      const { rows } = await pool.query('SELECT version, status FROM meta.dataset_versions WHERE dataset_id = $1 ORDER BY version', ['landuse']);
      expect(rows).to.deep.equal([{ version: 1, status: 'retired' }, { version: 2, status: 'live' }]);
    });

    it('keeps only keepVersions retired versions and drops their tables', async () => {
      await generateSample(pool, config, { parcels: 300, seed: 'other' }, silentLogger);
      const { rows } = await pool.query('SELECT version, status FROM meta.dataset_versions WHERE dataset_id = $1 ORDER BY version', ['landuse']);
      expect(rows).to.deep.equal([{ version: 2, status: 'retired' }, { version: 3, status: 'live' }]);
      const { rows: tables } = await pool.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'data' AND table_name LIKE 'landuse%' ORDER BY 1`,
      );
      expect(tables.map((row) => row.table_name)).to.deep.equal(['landuse__v2', 'landuse__v3']);
    });
  });
});
