import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import { WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import type { Pool } from '../../../core/db/pool.js';
import { analyseAfterPublish, refreshAnalysis } from '../../../pipeline/analysis/refresh-analysis.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { decodeTile } from '../../support/decode-tile.js';
import { createTestDatabase, openMigratedPool, silentLogger, type TestDatabase } from '../../support/test-database.js';
import {
  CONTROL_LINE_AREAS,
  COUNTY_A,
  COUNTY_B,
  EXPECTED_CONFLICTS,
  PARCELS,
  publishConflictFixture,
  RED_LINE_FARMLAND_V2_M2,
  RED_LINE_V2,
} from './conflict-fixture.js';
import { analysisTestConfig, line, LINE_COLUMNS, publishRectangles, rectArea, tileHolding } from './rectangle-fixtures.js';

/** Figures are checked to 0.01 m², as the issue asks. */
const M2_TOLERANCE = 0.01;

interface ConflictFeature {
  conflict_type: string;
  type_name: string;
  a_key: string;
  b_key: string | null;
  county_code: string | null;
  county_name: string | null;
  area_m2: number;
  area_ha: number;
  area_mu: number;
  is_sliver: boolean;
}

describe('refreshAnalysis (pipeline/analysis)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let config: AppConfig;

  before(async function () {
    this.timeout(120_000);
    database = await createTestDatabase('analysis');
    config = analysisTestConfig(database.url);
    pool = await openMigratedPool(config);
    await publishConflictFixture(pool, config);
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  async function liveConflicts(): Promise<ConflictFeature[]> {
    const { rows } = await pool.query<ConflictFeature>(
      `SELECT conflict_type, type_name, a_key, b_key, county_code, county_name, area_m2, area_ha, area_mu, is_sliver
         FROM live.conflicts ORDER BY conflict_type, a_key, b_key`,
    );
    return rows;
  }

  async function liveVersion(dataset: string): Promise<number | null> {
    const { rows } = await pool.query<{ live_version: number | null }>('SELECT live_version FROM meta.datasets WHERE id = $1', [dataset]);
    return rows[0]?.live_version ?? null;
  }

  describe('given rectangles in EPSG:4527 whose overlaps are known exactly', () => {
    before(async () => {
      const result = await refreshAnalysis(pool, config, silentLogger);
      expect(result.conflicts?.version).to.equal(1);
    });

    it('publishes one conflict feature per overlap, as version 1 of the conflicts dataset, with areas exact to 0.01 m²', async () => {
      const features = await liveConflicts();
      expect(features.map((f) => [f.conflict_type, f.a_key, f.b_key, f.county_code])).to.deep.equal(
        EXPECTED_CONFLICTS.map((e) => [e.type, e.aKey, e.bKey, e.county]),
      );
      features.forEach((feature, i) => {
        expect(feature.area_m2, `${feature.conflict_type} ${feature.a_key}`).to.be.closeTo(EXPECTED_CONFLICTS[i]!.areaM2, M2_TOLERANCE);
      });
    });

    it('states each area in hectares (m²/10000) and mu (m² × 15/10000) as well', async () => {
      for (const feature of await liveConflicts()) {
        expect(feature.area_ha).to.be.closeTo(feature.area_m2 / 10_000, 1e-9);
        expect(feature.area_mu).to.be.closeTo((feature.area_m2 * 15) / 10_000, 1e-9);
      }
      const p2 = (await liveConflicts()).find((f) => f.a_key === 'P2')!;
      expect(p2.area_mu).to.be.closeTo(30, 1e-5); // 20000 m² = 2 ha = 30 亩
    });

    it('names the conflict types and counties in Chinese', async () => {
      const features = await liveConflicts();
      expect(features.find((f) => f.conflict_type === 'red_line_farmland')!.type_name).to.equal('生态保护红线与永久基本农田重叠');
      expect(features.find((f) => f.a_key === 'P7')!.county_name).to.equal('阳谷县');
    });

    it('keeps the 0.5 m² overlap as a feature flagged as a sliver, and counts it apart in the statistics', async () => {
      const slivers = (await liveConflicts()).filter((f) => f.is_sliver);
      expect(slivers.map((f) => [f.conflict_type, f.a_key, f.b_key])).to.deep.equal([['red_line_development', 'R1', 'D2']]);
      expect(slivers[0]!.area_m2).to.be.closeTo(0.5, M2_TOLERANCE);
      const { rows } = await pool.query<{ features: string; slivers: string; sliver_area_m2: number }>(
        `SELECT features, slivers, sliver_area_m2 FROM meta.stat_conflicts
          WHERE run_id = (SELECT max(id) FROM meta.analysis_runs WHERE kind = 'conflicts') AND conflict_type = 'red_line_development'`,
      );
      expect(rows).to.have.length(1);
      expect(Number(rows[0]!.features)).to.equal(1);
      expect(Number(rows[0]!.slivers)).to.equal(1);
      expect(rows[0]!.sliver_area_m2).to.be.closeTo(0.5, M2_TOLERANCE);
    });

    it('computes the area of each control line per county', async () => {
      const { rows } = await pool.query<{ role: string; county_code: string; features: string; area_m2: number }>(
        `SELECT role, county_code, features, area_m2 FROM meta.stat_control_lines
          WHERE run_id = (SELECT max(id) FROM meta.analysis_runs WHERE kind = 'conflicts') ORDER BY role`,
      );
      expect(rows.map((r) => [r.role, r.county_code, Number(r.features)])).to.deep.equal([
        ['basic_farmland', COUNTY_A, 1],
        ['development_boundary', COUNTY_A, 2],
        ['red_line', COUNTY_A, 1],
      ]);
      for (const row of rows) expect(row.area_m2, row.role).to.be.closeTo(CONTROL_LINE_AREAS[row.role as keyof typeof CONTROL_LINE_AREAS], M2_TOLERANCE);
    });

    it('computes land-use area per county and 三调 class, with the class and level-1 names', async () => {
      const { rows } = await pool.query<{ county_code: string; county_name: string; class_code: string; class_name: string; level1_code: string; level1_name: string; parcels: string; area_m2: number }>(
        `SELECT county_code, county_name, class_code, class_name, level1_code, level1_name, parcels, area_m2
           FROM meta.stat_landuse_classes WHERE dataset_id = 'landuse' AND version = 1 ORDER BY county_code, class_code`,
      );
      const expected = PARCELS.map((p) => ({ county: p.attributes.XZQDM as string, code: p.attributes.DLBM as string, area: rectArea(p.rect) }))
        .sort((a, b) => a.county.localeCompare(b.county) || a.code.localeCompare(b.code));
      expect(rows.map((r) => [r.county_code, r.class_code, Number(r.parcels)])).to.deep.equal(expected.map((e) => [e.county, e.code, 1]));
      rows.forEach((row, i) => expect(row.area_m2).to.be.closeTo(expected[i]!.area, M2_TOLERANCE));
      const orchard = rows.find((r) => r.class_code === '0201')!;
      expect([orchard.county_name, orchard.class_name, orchard.level1_code, orchard.level1_name]).to.deep.equal(['东昌府区', '果园', '02', '种植园用地']);
    });

    it('records the live version of every input the run read', async () => {
      const { rows } = await pool.query<{ inputs: Record<string, number> }>(`SELECT inputs FROM meta.analysis_runs WHERE kind = 'conflicts' ORDER BY id DESC LIMIT 1`);
      expect(rows[0]!.inputs).to.deep.equal({ county: 1, landuse: 1, stbhhx: 1, yjjbnt: 1, czkfbj: 1 });
    });

    it('counts county B apart from county A', async () => {
      const { rows } = await pool.query<{ county_code: string }>(`SELECT DISTINCT county_code FROM live.conflicts ORDER BY 1`);
      expect(rows.map((r) => r.county_code)).to.deep.equal([COUNTY_A, COUNTY_B]);
    });

    it('does nothing when called again with the same live versions', async () => {
      const again = await refreshAnalysis(pool, config, silentLogger);
      expect(again.conflicts).to.equal(null);
      expect(await liveVersion('conflicts')).to.equal(1);
    });

    it('does nothing after a publish of a dataset the analysis does not read', async () => {
      expect(await analyseAfterPublish(pool, config, 'stbhhx_371502', silentLogger)).to.equal(null);
    });

    it('serves the conflicts in vector tiles of the conflicts tileset', async () => {
      const features = await conflictsInTile();
      expect(features.map((f) => f.a_key).sort()).to.include.members(['P1', 'P2', 'P6', 'R1', 'F1']);
      const redFarmland = features.find((f) => f.conflict_type === 'red_line_farmland')!;
      expect(redFarmland.area_m2 as number).to.be.closeTo(10_000, M2_TOLERANCE);
    });
  });

  describe('after the next publish of the red line', () => {
    before(async () => {
      await publishRectangles(pool, config, 'stbhhx', LINE_COLUMNS, [line('R1', RED_LINE_V2)]);
      const result = await analyseAfterPublish(pool, config, 'stbhhx', silentLogger);
      expect(result?.conflicts?.version).to.equal(2);
    });

    it('publishes conflicts version 2 with the new overlap, keyed by red line version 2', async () => {
      expect(await liveVersion('conflicts')).to.equal(2);
      const redFarmland = (await liveConflicts()).filter((f) => f.conflict_type === 'red_line_farmland');
      expect(redFarmland).to.have.length(1);
      expect(redFarmland[0]!.area_m2).to.be.closeTo(RED_LINE_FARMLAND_V2_M2, M2_TOLERANCE);
      const { rows } = await pool.query<{ inputs: Record<string, number> }>(`SELECT inputs FROM meta.analysis_runs WHERE kind = 'conflicts' ORDER BY id DESC LIMIT 1`);
      expect(rows[0]!.inputs.stbhhx).to.equal(2);
    });

    it('keeps version 1 for rollback, as any dataset', async () => {
      const { rows } = await pool.query<{ version: number; status: string }>(`SELECT version, status FROM meta.dataset_versions WHERE dataset_id = 'conflicts' ORDER BY version`);
      expect(rows).to.deep.equal([{ version: 1, status: 'retired' }, { version: 2, status: 'live' }]);
    });

    it('serves the new overlap in tiles', async () => {
      const redFarmland = (await conflictsInTile()).find((f) => f.conflict_type === 'red_line_farmland')!;
      expect(redFarmland.area_m2 as number).to.be.closeTo(RED_LINE_FARMLAND_V2_M2, M2_TOLERANCE);
    });

    it('recomputes the control-line statistics and keeps the land-use ones of the unchanged land-use version', async () => {
      const { rows } = await pool.query<{ area_m2: number }>(
        `SELECT area_m2 FROM meta.stat_control_lines WHERE role = 'red_line' AND run_id = (SELECT max(id) FROM meta.analysis_runs WHERE kind = 'conflicts')`,
      );
      expect(rows[0]!.area_m2).to.be.closeTo(rectArea(RED_LINE_V2), M2_TOLERANCE);
      const { rows: landuse } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM meta.stat_landuse_classes WHERE dataset_id = 'landuse'`);
      expect(Number(landuse[0]!.n)).to.equal(PARCELS.length);
    });
  });

  /** The decoded features of a Web Mercator tile holding the fixture's control lines. */
  async function conflictsInTile(): Promise<Record<string, unknown>[]> {
    const catalog = await loadTilesetCatalog(pool, config, silentLogger);
    const { source } = catalog.resolve('conflicts');
    const tile = await tileHolding(pool, [0, 0, 800, 600]);
    const body = await source.getTile(tile, WebMercatorQuad);
    expect(body, 'a tile with features').to.not.equal(null);
    const layer = decodeTile(body!).get('conflicts');
    expect(layer, 'the conflicts layer').to.not.equal(undefined);
    return layer!.features.map((feature) => feature.properties);
  }

});
