import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { refreshAnalysis } from '../../../pipeline/analysis/refresh-analysis.js';
import { compareVersions } from '../../../pipeline/analysis/compare-versions.js';
import { versionChanges } from '../../../pipeline/analysis/version-changes.js';
import { BadRequestError, NotFoundError } from '../../../core/errors.js';
import { createTestDatabase, openMigratedPool, silentLogger, type TestDatabase } from '../../support/test-database.js';
import { COUNTY_A, COUNTY_B, PARCELS } from './conflict-fixture.js';
import { analysisTestConfig, LANDUSE_COLUMNS, parcel, publishRectangles, tileHolding } from './rectangle-fixtures.js';
import { WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { decodeTile } from '../../support/decode-tile.js';

const M2_TOLERANCE = 0.01;

/**
 * Landuse version 2 against version 1 (PARCELS): P1 reclassified, P2 5 m wider, P3 moved by
 * 4 mm (under the 0.01 m tolerance), P4 gone, P6 taller and reclassified, P7 untouched, P8 new.
 */
const VERSION_2 = [
  parcel('P1', '0101', COUNTY_A, [0, 0, 100, 100]),
  parcel('P2', '0101', COUNTY_A, [100, 0, 305, 100]),
  parcel('P3', '0103', COUNTY_A, [200.004, 100, 500.004, 300]),
  parcel('P6', '0202', COUNTY_A, [200, 300, 500, 410]),
  parcel('P7', '0102', COUNTY_B, [1500, 0, 1600, 100]),
  parcel('P8', '0101', COUNTY_A, [600, 0, 700, 100]),
];

const EXPECTED_SUMMARY = [
  { changeType: 'added', parcels: 1, areaM2: 10_000, areaChangeM2: 10_000 },
  { changeType: 'removed', parcels: 1, areaM2: 20_000, areaChangeM2: -20_000 },
  { changeType: 'geometry', parcels: 1, areaM2: 20_500, areaChangeM2: 500 },
  { changeType: 'attributes', parcels: 1, areaM2: 10_000, areaChangeM2: 0 },
  { changeType: 'geometry_attributes', parcels: 1, areaM2: 33_000, areaChangeM2: 3_000 },
  { changeType: 'unchanged', parcels: 2, areaM2: 70_000, areaChangeM2: 0 },
];

describe('comparing versions of a dataset (pipeline/analysis)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let config: AppConfig;

  before(async function () {
    this.timeout(120_000);
    database = await createTestDatabase('analysis_changes');
    config = analysisTestConfig(database.url);
    pool = await openMigratedPool(config);
    await publishRectangles(pool, config, 'landuse', LANDUSE_COLUMNS, PARCELS);
    await refreshAnalysis(pool, config, silentLogger);
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  it('publishes no changes layer while the dataset has a single version', async () => {
    const { rows } = await pool.query(`SELECT 1 FROM meta.dataset_versions WHERE dataset_id = 'landuse_changes'`);
    expect(rows).to.have.length(0);
  });

  describe('after the next publish of landuse', () => {
    before(async () => {
      await publishRectangles(pool, config, 'landuse', LANDUSE_COLUMNS, VERSION_2);
      const result = await refreshAnalysis(pool, config, silentLogger);
      expect(result.comparisons.map((c) => [c.datasetId, c.fromVersion, c.toVersion, c.version])).to.deep.equal([['landuse', 1, 2, 1]]);
    });

    it('counts added, removed and changed parcels by key, geometry and attributes, with their areas to 0.01 m²', async () => {
      const changes = await versionChanges(pool, config, silentLogger, { datasetId: 'landuse', fromVersion: null, toVersion: null });
      expect([changes.fromVersion, changes.toVersion]).to.deep.equal([1, 2]);
      expect(changes.summary.map((row) => [row.changeType, row.parcels])).to.deep.equal(EXPECTED_SUMMARY.map((row) => [row.changeType, row.parcels]));
      changes.summary.forEach((row, i) => {
        expect(row.areaM2, row.changeType).to.be.closeTo(EXPECTED_SUMMARY[i]!.areaM2, M2_TOLERANCE);
        expect(row.areaChangeM2, row.changeType).to.be.closeTo(EXPECTED_SUMMARY[i]!.areaChangeM2, M2_TOLERANCE);
      });
      expect(changes.layer).to.deep.equal({ dataset: 'landuse_changes', version: 1 });
    });

    it('publishes the changed parcels (not the unchanged ones) as the derived dataset landuse_changes', async () => {
      const { rows } = await pool.query<{ key: string; change_type: string; type_name: string; changed_fields: string; shift_m: number }>(
        'SELECT key, change_type, type_name, changed_fields, shift_m FROM live.landuse_changes ORDER BY key',
      );
      expect(rows.map((r) => [r.key, r.change_type, r.type_name, r.changed_fields])).to.deep.equal([
        ['P1', 'attributes', '属性变化', 'DLBM'],
        ['P2', 'geometry', '图形变化', ''],
        ['P4', 'removed', '灭失', ''],
        ['P6', 'geometry_attributes', '图形和属性变化', 'DLBM'],
        ['P8', 'added', '新增', ''],
      ]);
      expect(rows.find((r) => r.key === 'P2')!.shift_m).to.be.closeTo(5, 1e-6);
    });

    it('serves the changed parcels in vector tiles of the landuse_changes tileset', async () => {
      const catalog = await loadTilesetCatalog(pool, config, silentLogger);
      const { source } = catalog.resolve('landuse_changes');
      const body = await source.getTile(await tileHolding(pool, [0, 0, 700, 410]), WebMercatorQuad);
      const features = decodeTile(body!).get('landuse_changes')!.features.map((f) => [f.properties.key, f.properties.change_type]);
      expect(features.sort()).to.deep.equal([['P1', 'attributes'], ['P2', 'geometry'], ['P4', 'removed'], ['P6', 'geometry_attributes'], ['P8', 'added']]);
    });

    it('compares any two versions on request, in either order', async () => {
      const reverse = await versionChanges(pool, config, silentLogger, { datasetId: 'landuse', fromVersion: 2, toVersion: 1 });
      const counts = Object.fromEntries(reverse.summary.map((row) => [row.changeType, row.parcels]));
      expect(counts).to.include({ added: 1, removed: 1, geometry: 1, attributes: 1, geometry_attributes: 1, unchanged: 2 });
      expect(reverse.summary.find((row) => row.changeType === 'added')!.areaM2).to.be.closeTo(20_000, M2_TOLERANCE);
      expect(reverse.layer).to.equal(null);
    });

    it('refuses versions that do not exist, the same version twice, and unknown datasets', async () => {
      const ask = (datasetId: string, fromVersion: number | null, toVersion: number | null) =>
        versionChanges(pool, config, silentLogger, { datasetId, fromVersion, toVersion }).then(() => null, (error: unknown) => error as Error);
      const missing = await ask('landuse', 7, null);
      expect(missing).to.be.instanceOf(NotFoundError);
      expect(missing!.message).to.match(/parameter from: .*no version 7/);
      expect((await ask('landuse', null, 9))!.message).to.match(/parameter to: .*no version 9/);
      expect(await ask('landuse', 2, 2)).to.be.instanceOf(BadRequestError);
      expect((await ask('nonesuch', null, null))!.message).to.match(/unknown dataset "nonesuch"/);
      expect((await ask('stbhhx', null, null))!.message).to.match(/has no published version/);
    });
  });
});

/** compareVersions on its own, over version tables with more columns than one jsonb_build_object takes. */
describe('compareVersions of wide version tables (pipeline/analysis)', () => {
  let database: TestDatabase;
  let pool: Pool;
  const columns = Array.from({ length: 60 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);
  const square = `ST_Multi(ST_GeomFromText('POLYGON((115 36, 115.001 36, 115.001 36.001, 115 36.001, 115 36))', 4490))`;

  before(async function () {
    this.timeout(120_000);
    database = await createTestDatabase('analysis_wide_changes');
    pool = await openMigratedPool(analysisTestConfig(database.url));
    for (const version of [1, 2]) {
      // Version 2 also has c61 (null in one parcel, a value in the other); version 1 has c00.
      const own = version === 1 ? ['c00'] : ['c61'];
      await pool.query(`CREATE TABLE data."wide__v${version}" (fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key text,
        ${[...columns, ...own].map((column) => `${column} text`).join(', ')},
        geom geometry(MultiPolygon, 4490) NOT NULL, geom_3857 geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED)`);
    }
    const values = (overrides: Record<string, string | null>) => columns.map((column) => (column in overrides ? overrides[column] : `'${column}'`)).join(', ');
    await pool.query(`INSERT INTO data."wide__v1" (key, ${columns.join(', ')}, c00, geom) VALUES
      ('same', ${values({})}, NULL, ${square}), ('late', ${values({})}, NULL, ${square}), ('gone', ${values({})}, 'x', ${square})`);
    await pool.query(`INSERT INTO data."wide__v2" (key, ${columns.join(', ')}, c61, geom) VALUES
      ('same', ${values({})}, NULL, ${square}), ('late', ${values({ c57: `'changed'` })}, 'new', ${square}), ('new', ${values({})}, NULL, ${square})`);
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  it('finds changed fields beyond the 50th column and in columns only one version has, and keeps no geometry of unchanged parcels', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await compareVersions(client, { datasetId: 'wide', fromVersion: 1, toVersion: 2, keyField: 'key', toleranceM: 0.01, areaMethod: 'ellipsoid' });
      const { rows } = await client.query<{ key: string; change_type: string; changed_fields: string[]; area_change_m2: number; has_geom: boolean }>(
        'SELECT key, change_type, changed_fields, area_change_m2, geom IS NOT NULL AS has_geom FROM analysis_change ORDER BY key',
      );
      await client.query('ROLLBACK');
      expect(rows.map((row) => [row.key, row.change_type, row.changed_fields, row.has_geom])).to.deep.equal([
        ['gone', 'removed', [], true],
        ['late', 'attributes', ['c57', 'c61'], true],
        ['new', 'added', [], true],
        ['same', 'unchanged', [], false],
      ]);
      expect(rows.find((row) => row.key === 'late')!.area_change_m2).to.equal(0);
    } finally {
      client.release();
    }
  });
});
