import { expect } from 'chai';
import express from 'express';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { refreshAnalysis } from '../../../pipeline/analysis/refresh-analysis.js';
import { createChangesRouter } from '../../../server/analysis/changes-router.js';
import { createStatisticsRouter } from '../../../server/analysis/statistics-router.js';
import { createErrorMiddleware, notFoundHandler } from '../../../server/http/error-middleware.js';
import { jsonBody, listen, rawGet, type RawResponse, type RunningServer } from '../../support/http-server.js';
import { createTestDatabase, openMigratedPool, silentLogger, type TestDatabase } from '../../support/test-database.js';
import { COUNTY_A, COUNTY_B, PARCELS, publishConflictFixture, RED_LINE_FARMLAND_V2_M2, RED_LINE_V2 } from '../../pipeline/analysis/conflict-fixture.js';
import { analysisTestConfig, LANDUSE_COLUMNS, line, LINE_COLUMNS, parcel, publishRectangles } from '../../pipeline/analysis/rectangle-fixtures.js';

const M2_TOLERANCE = 0.01;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

interface Table<Row> {
  rows: Row[];
  sources: Record<string, number>;
  stale: boolean;
  totals?: { count: number; areaM2: number; areaHa: number; areaMu: number };
}

/** The routers as the application mounts them (under /admin), on a bare Express app with the project's error middleware. */
describe('statistics and changes endpoints (server/analysis)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let config: AppConfig;
  let server: RunningServer;

  before(async function () {
    this.timeout(120_000);
    database = await createTestDatabase('analysis_http');
    config = analysisTestConfig(database.url);
    pool = await openMigratedPool(config);
    await publishConflictFixture(pool, config);
    const app = express();
    app.use('/admin', createStatisticsRouter({ pool, config }), createChangesRouter({ pool, config, logger: silentLogger }));
    app.use(notFoundHandler);
    app.use(createErrorMiddleware(silentLogger));
    server = await listen(app);
  });

  after(async () => {
    await server.close();
    await pool.end();
    await database.drop();
  });

  const get = (path: string): Promise<RawResponse> => rawGet(`${server.baseUrl}${path}`);

  function expectError(response: RawResponse, status: number, message: RegExp): void {
    expect(response.status, response.body.toString()).to.equal(status);
    expect(jsonBody<{ message: string }>(response).message).to.match(message);
  }

  describe('before anything was analysed', () => {
    it('answers 404 saying there are no statistics yet', async () => {
      expectError(await get('/admin/statistics/landuse'), 404, /no statistics yet/);
    });
  });

  describe('after the fixture was published and analysed', () => {
    before(async () => {
      await refreshAnalysis(pool, config, silentLogger);
    });

    it('GET /statistics names the source versions and the counties', async () => {
      const response = await get('/admin/statistics');
      expect(response.status).to.equal(200);
      const body = jsonBody<{ sources: Record<string, number>; counties: string[]; stale: boolean; conflictsVersion: number }>(response);
      expect(body.sources).to.deep.equal({ county: 1, landuse: 1, stbhhx: 1, yjjbnt: 1, czkfbj: 1 });
      expect(body.counties).to.deep.equal([COUNTY_A, COUNTY_B]);
      expect(body.stale).to.equal(false);
      expect(body.conflictsVersion).to.equal(1);
    });

    it('GET /statistics/landuse gives the area per county and class, to 0.01 m², in m², ha and mu', async () => {
      const response = await get('/admin/statistics/landuse');
      expect(response.status).to.equal(200);
      const body = jsonBody<Table<{ countyCode: string; classCode: string; className: string; parcels: number; areaM2: number; areaHa: number; areaMu: number }>>(response);
      expect(body.rows).to.have.length(PARCELS.length);
      const orchard = body.rows.find((row) => row.classCode === '0201')!;
      expect(orchard.className).to.equal('果园');
      expect(orchard.areaM2).to.be.closeTo(30_000, M2_TOLERANCE);
      expect(orchard.areaHa).to.be.closeTo(3, 1e-6);
      expect(orchard.areaMu).to.be.closeTo(45, 1e-5);
      expect(body.totals!.count).to.equal(PARCELS.length);
      expect(body.totals!.areaM2).to.be.closeTo(150_000, M2_TOLERANCE);
    });

    it('GET /statistics/landuse?group=level1 sums the classes of each level-1 class', async () => {
      const body = jsonBody<Table<{ countyCode: string; level1Code: string; level1Name: string; parcels: number; areaM2: number }>>(await get('/admin/statistics/landuse?group=level1'));
      expect(body.rows.map((row) => [row.countyCode, row.level1Code, row.level1Name, row.parcels])).to.deep.equal([
        [COUNTY_A, '01', '耕地', 2],
        [COUNTY_A, '02', '种植园用地', 1],
        [COUNTY_A, '03', '林地', 1],
        [COUNTY_A, '07', '住宅用地', 1],
        [COUNTY_B, '01', '耕地', 1],
      ]);
      expect(body.rows[0]!.areaM2).to.be.closeTo(80_000, M2_TOLERANCE);
    });

    it('GET /statistics/landuse?county= keeps one county', async () => {
      const body = jsonBody<Table<{ countyCode: string; areaM2: number }>>(await get(`/admin/statistics/landuse?county=${COUNTY_B}`));
      expect(body.rows.map((row) => row.countyCode)).to.deep.equal([COUNTY_B]);
      expect(body.rows[0]!.areaM2).to.be.closeTo(10_000, M2_TOLERANCE);
    });

    it('GET /statistics/landuse?format=csv is UTF-8 with a BOM, Chinese headers and a file name', async () => {
      const response = await get('/admin/statistics/landuse?format=csv');
      expect(response.status).to.equal(200);
      expect(response.headers['content-type']).to.equal('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).to.equal(
        `attachment; filename="landuse-class-statistics.csv"; filename*=UTF-8''${encodeURIComponent('三调地类面积统计（二级类）.csv')}`,
      );
      expect(response.body.subarray(0, 3).equals(BOM)).to.equal(true);
      const lines = response.body.subarray(3).toString('utf8').split('\r\n');
      expect(lines[0]).to.equal('县级行政区代码,县级行政区名称,地类编码,地类名称,一级类编码,一级类名称,图斑数,面积（平方米）,面积（公顷）,面积（亩）');
      expect(lines).to.include('371502,东昌府区,0201,果园,02,种植园用地,1,30000.00,3.0000,45.00');
      expect(lines.at(-1)).to.equal('');
      expect(lines).to.have.length(PARCELS.length + 2);
    });

    it('GET /statistics/control-lines gives each line per county', async () => {
      const body = jsonBody<Table<{ countyCode: string; roleName: string; features: number; areaM2: number }>>(await get('/admin/statistics/control-lines'));
      expect(body.rows.map((row) => [row.countyCode, row.roleName, row.features])).to.deep.equal([
        [COUNTY_A, '生态保护红线', 1],
        [COUNTY_A, '永久基本农田', 1],
        [COUNTY_A, '城镇开发边界', 2],
      ]);
      expect(body.rows[2]!.areaM2).to.be.closeTo(350 * 250 + 100.05 * 10, M2_TOLERANCE);
      const csv = (await get('/admin/statistics/control-lines?format=csv')).body.subarray(3).toString('utf8');
      expect(csv.split('\r\n')[1]).to.equal('371502,东昌府区,生态保护红线,stbhhx,1,60000.00,6.0000,90.00');
    });

    it('GET /statistics/conflicts gives overlap areas per type and county, slivers counted apart', async () => {
      const body = jsonBody<Table<{ countyCode: string; conflictType: string; typeName: string; features: number; areaM2: number; slivers: number; sliverAreaM2: number }>>(
        await get('/admin/statistics/conflicts'),
      );
      const byType = new Map(body.rows.filter((row) => row.countyCode === COUNTY_A).map((row) => [row.conflictType, row]));
      expect(byType.get('red_line_farmland')!.areaM2).to.be.closeTo(10_000, M2_TOLERANCE);
      expect(byType.get('farmland_development')!.features).to.equal(2);
      expect(byType.get('farmland_development')!.areaM2).to.be.closeTo(3_500.5, M2_TOLERANCE);
      const sliver = byType.get('red_line_development')!;
      expect([sliver.features, sliver.slivers, sliver.typeName]).to.deep.equal([1, 1, '生态保护红线与城镇开发边界重叠']);
      expect(sliver.sliverAreaM2).to.be.closeTo(0.5, M2_TOLERANCE);
      const csv = (await get(`/admin/statistics/conflicts?county=${COUNTY_B}&format=csv`)).body.subarray(3).toString('utf8').split('\r\n');
      expect(csv[0]).to.equal('县级行政区代码,县级行政区名称,冲突类型代码,冲突类型,图斑数,面积（平方米）,面积（公顷）,面积（亩）,其中碎片数,碎片面积（平方米）');
      expect(csv[1]).to.equal('371521,阳谷县,farmland_outside_basic_farmland,永久基本农田外耕地,1,10000.00,1.0000,15.00,0,0.0000');
    });

    it('GET /statistics/slivers lists the sliver pieces themselves', async () => {
      const body = jsonBody<Table<{ conflictType: string; aKey: string; bKey: string; areaM2: number }>>(await get('/admin/statistics/slivers'));
      expect(body.rows.map((row) => [row.conflictType, row.aKey, row.bKey])).to.deep.equal([['red_line_development', 'R1', 'D2']]);
      expect(body.rows[0]!.areaM2).to.be.closeTo(0.5, M2_TOLERANCE);
    });

    describe('given bad parameters', () => {
      const cases: [string, number, RegExp][] = [
        ['/admin/statistics/landuse?county=37150', 400, /^parameter county: "37150" is not a six-digit county code/],
        ['/admin/statistics/conflicts?county=999999', 404, /^parameter county: no county 999999/],
        ['/admin/statistics/landuse?county=371502&county=371521', 400, /^parameter county: give it once/],
        ['/admin/statistics/landuse?format=xlsx', 400, /^parameter format: "xlsx" is not one of json, csv/],
        ['/admin/statistics/landuse?group=level3', 400, /^parameter group: "level3" is not one of class, level1/],
        ['/admin/statistics/control-lines?colour=red', 400, /^unknown parameter "colour"/],
        ['/admin/statistics/slivers?limit=0', 400, /^parameter limit: "0" is not a whole number from 1 to 100000/],
        ['/admin/statistics/nonesuch', 404, /no such resource/],
      ];
      for (const [path, status, message] of cases) {
        it(`${path} answers ${status}`, async () => expectError(await get(path), status, message));
      }
    });
  });

  describe('after the next publish of the red line', () => {
    before(async () => {
      await publishRectangles(pool, config, 'stbhhx', LINE_COLUMNS, [line('R1', RED_LINE_V2)]);
    });

    it('says the statistics are stale until the analysis has run', async () => {
      expect(jsonBody<{ stale: boolean }>(await get('/admin/statistics')).stale).to.equal(true);
    });

    it('gives the new overlap once it has', async () => {
      await refreshAnalysis(pool, config, silentLogger);
      const body = jsonBody<Table<{ countyCode: string; conflictType: string; areaM2: number }>>(await get(`/admin/statistics/conflicts?county=${COUNTY_A}`));
      expect(body.sources.stbhhx).to.equal(2);
      expect(body.stale).to.equal(false);
      expect(body.rows.find((row) => row.conflictType === 'red_line_farmland')!.areaM2).to.be.closeTo(RED_LINE_FARMLAND_V2_M2, M2_TOLERANCE);
    });
  });

  describe('GET /datasets/{id}/changes', () => {
    before(async () => {
      const next = PARCELS.filter((p) => p.attributes.BSM !== 'P4').concat(parcel('P8', '0101', COUNTY_A, [600, 0, 700, 100]));
      await publishRectangles(pool, config, 'landuse', LANDUSE_COLUMNS, next);
      await refreshAnalysis(pool, config, silentLogger);
    });

    it('compares the live version with the one before it by default', async () => {
      const response = await get('/admin/datasets/landuse/changes');
      expect(response.status).to.equal(200);
      const body = jsonBody<{ from: number; to: number; keyField: string; layer: unknown; rows: { changeType: string; typeName: string; parcels: number; areaM2: number }[] }>(response);
      expect([body.from, body.to, body.keyField]).to.deep.equal([1, 2, 'BSM']);
      expect(body.layer).to.deep.equal({ dataset: 'landuse_changes', version: 1 });
      const counts = Object.fromEntries(body.rows.map((row) => [row.changeType, row.parcels]));
      expect(counts).to.deep.equal({ added: 1, removed: 1, geometry: 0, attributes: 0, geometry_attributes: 0, unchanged: 5 });
      expect(body.rows.find((row) => row.changeType === 'removed')!.areaM2).to.be.closeTo(20_000, M2_TOLERANCE);
    });

    it('gives the summary as CSV with Chinese headers', async () => {
      const response = await get('/admin/datasets/landuse/changes?from=1&to=2&format=csv');
      expect(response.body.subarray(0, 3).equals(BOM)).to.equal(true);
      expect(response.headers['content-disposition']).to.match(/^attachment; filename="landuse-changes-v1-v2\.csv"/);
      const lines = response.body.subarray(3).toString('utf8').split('\r\n');
      expect(lines[0]).to.equal('变化类型代码,变化类型,图斑数,面积（平方米）,面积（公顷）,面积（亩）,面积增减（平方米）');
      expect(lines[1]).to.equal('added,新增,1,10000.00,1.0000,15.00,10000.00');
    });

    describe('given bad parameters', () => {
      const cases: [string, number, RegExp][] = [
        ['/admin/datasets/landuse/changes?from=abc', 400, /^parameter from: "abc" is not a whole number/],
        ['/admin/datasets/landuse/changes?to=0', 400, /^parameter to: "0" is not a whole number/],
        ['/admin/datasets/landuse/changes?to=-1', 400, /^parameter to: "-1"/],
        ['/admin/datasets/landuse/changes?from=1.5', 400, /^parameter from: "1.5"/],
        ['/admin/datasets/landuse/changes?to=99', 404, /^parameter to: dataset "landuse" has no version 99/],
        ['/admin/datasets/landuse/changes?from=98&to=2', 404, /^parameter from: dataset "landuse" has no version 98/],
        ['/admin/datasets/landuse/changes?from=2&to=2', 400, /^parameters from and to name the same version 2/],
        ['/admin/datasets/landuse/changes?format=pdf', 400, /^parameter format: "pdf"/],
        ['/admin/datasets/landuse/changes?since=1', 400, /^unknown parameter "since"/],
        ['/admin/datasets/nonesuch/changes', 404, /^unknown dataset "nonesuch"/],
        ['/admin/datasets/Not-An-Id/changes', 400, /^dataset id "Not-An-Id" is not/],
        ['/admin/datasets/county/changes', 404, /^dataset "county" has no version before 1/],
      ];
      for (const [path, status, message] of cases) {
        it(`${path} answers ${status}`, async () => expectError(await get(path), status, message));
      }
    });
  });
});
