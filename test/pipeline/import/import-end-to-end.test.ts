import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import { createPool, type Pool } from '../../../core/db/pool.js';
import { tileAtPoint, WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import { importDataset } from '../../../pipeline/import/import-dataset.js';
import { createApp } from '../../../server/app.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { decodeTile } from '../../support/decode-tile.js';
import { listen, rawGet } from '../../support/http-server.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { parcelRow, prjOf, writeParcelShapefile } from './delivery-fixture.js';

const CLI = { trigger: 'cli', startedBy: 'test' } as const;

describe('import end to end', () => {
  let database: TestDatabase;
  let pool: Pool;
  let inbox: string;
  let config: AppConfig;

  before(async () => {
    database = await createTestDatabase('import_e2e');
    inbox = await mkdtemp(join(tmpdir(), 'planmap-e2e-'));
    config = testConfig(database.url, (raw) => {
      raw.pipeline = { importRoots: [inbox] };
      (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: 'dltb' };
      // The tileset exposes what the test delivery has.
      (raw.tilesets as Record<string, unknown>[]).find((tileset) => tileset.id === 'landuse')!.properties = ['BSM', 'DLBM', 'DLMC', 'QSDWMC', 'TBMJ'];
    });
    pool = await openMigratedPool(config);
  });

  after(async () => {
    await pool.end();
    await database.drop();
    await rm(inbox, { recursive: true, force: true });
  });

  describe('given a GBK Shapefile without .cpg', () => {
    it('serves its Chinese attribute values exactly in the vector tiles', async () => {
      await writeParcelShapefile(join(inbox, 'dltb', 'DLTB'), parcelRow(3, { dlbm: '0702', dlmc: '农村宅基地' }), { prj: await prjOf(pool, 4527) });
      const result = await importDataset(pool, config, 'landuse', CLI, silentLogger);
      expect(result.version).to.equal(1);
      const catalog = await loadTilesetCatalog(pool, config, silentLogger);
      const server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog }));
      try {
        const { rows } = await pool.query<{ x: number; y: number }>('SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom_3857) AS p FROM live.landuse LIMIT 1) s');
        const { z, x, y } = tileAtPoint(WebMercatorQuad, 16, rows[0]!.x, rows[0]!.y);
        const response = await rawGet(`${server.baseUrl}/tiles/landuse/${z}/${x}/${y}.mvt`);
        expect(response.status).to.equal(200);
        const features = decodeTile(response.body).get('landuse')!.features;
        expect(features.length).to.be.greaterThan(0);
        for (const feature of features) {
          expect(feature.properties).to.include({ DLBM: '0702', DLMC: '农村宅基地', QSDWMC: '张庄村民委员会' });
        }
      } finally {
        await server.close();
      }
    });
  });

  describe('given a GeoPackage delivery written by GDAL, with two tables and source.layer naming one', () => {
    it('imports the named table in its declared CRS (EPSG:4527)', async () => {
      await rm(join(inbox, 'dltb'), { recursive: true, force: true });
      await mkdir(join(inbox, 'dltb'), { recursive: true });
      const parcels = parcelRow(4, { dlbm: '0301', dlmc: '乔木林地' });
      const collection = {
        type: 'FeatureCollection',
        crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4527' } },
        features: parcels.map((parcel) => ({
          type: 'Feature',
          properties: { BSM: parcel.bsm, DLBM: parcel.dlbm, DLMC: parcel.dlmc, QSDWMC: '李屯村民委员会', TBMJ: 5000 },
          geometry: { type: 'Polygon', coordinates: [[[parcel.x, parcel.y], [parcel.x + 100, parcel.y], [parcel.x + 100, parcel.y + 50], [parcel.x, parcel.y + 50], [parcel.x, parcel.y]]] },
        })),
      };
      const geojson = join(inbox, 'parcels.geojson');
      await writeFile(geojson, JSON.stringify(collection));
      const gpkg = join(inbox, 'dltb', 'delivery.gpkg');
      execFileSync('ogr2ogr', ['-f', 'GPKG', gpkg, geojson, '-nln', 'DLTB']);
      execFileSync('ogr2ogr', ['-f', 'GPKG', '-update', gpkg, geojson, '-nln', 'OTHER']);
      const layered = testConfig(database.url, (raw) => {
        raw.pipeline = { importRoots: [inbox] };
        (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: 'dltb', layer: 'DLTB' };
      });
      const before = (await pool.query<{ v: number }>(`SELECT live_version AS v FROM meta.datasets WHERE id = 'landuse'`)).rows[0]!.v;
      const result = await importDataset(pool, layered, 'landuse', CLI, silentLogger);
      expect(result.version).to.equal(before + 1);
      const { rows } = await pool.query<{ DLMC: string; moved: number }>(
        `SELECT "DLMC", ST_HausdorffDistance(ST_Transform(geom, 4527),
                  ST_SetSRID(ST_MakeEnvelope(39470000.123, 4030000.456, 39470100.123, 4030050.456), 4527)) AS moved
           FROM live.landuse ORDER BY "BSM" LIMIT 1`,
      );
      expect(rows[0]!.DLMC).to.equal('乔木林地');
      expect(rows[0]!.moved).to.be.below(0.001);
    });
  });

  describe('given a GeoJSON delivery with a self-intersecting polygon and a feature without geometry', () => {
    it('repairs the first, rejects the second, names both in the QA report, and publishes nothing (rejections fail)', async () => {
      await rm(join(inbox, 'dltb'), { recursive: true, force: true });
      await mkdir(join(inbox, 'dltb'), { recursive: true });
      const square = (x: number) => [[[x, 36.4], [x + 0.001, 36.4], [x + 0.001, 36.4005], [x, 36.4005], [x, 36.4]]];
      // A bow tie: the ring crosses itself at (x + 0.0005, 36.40025).
      const bowTie = (x: number) => [[[x, 36.4], [x + 0.001, 36.4005], [x + 0.001, 36.4], [x, 36.4005], [x, 36.4]]];
      const feature = (bsm: string, geometry: unknown) => ({ type: 'Feature', properties: { BSM: bsm, DLBM: '0101', DLMC: '水田' }, geometry });
      await writeFile(join(inbox, 'dltb', 'DLTB.geojson'), JSON.stringify({
        type: 'FeatureCollection',
        features: [
          feature('371502000000000001', { type: 'Polygon', coordinates: square(116.2) }),
          feature('371502000000000002', { type: 'Polygon', coordinates: bowTie(116.202) }),
          feature('371502000000000003', null),
        ],
      }));
      const before = (await pool.query<{ v: number }>(`SELECT live_version AS v FROM meta.datasets WHERE id = 'landuse'`)).rows[0]!.v;
      const result = await importDataset(pool, config, 'landuse', CLI, silentLogger);
      expect(result.version).to.equal(null);
      const byRule = new Map(result.report.findings.map((finding) => [finding.rule, finding]));
      expect(byRule.get('repairedGeometries')).to.include({ level: 'warn', count: 1 });
      expect(byRule.get('repairedGeometries')!.examples[0]).to.include({ feature: 2 });
      expect(byRule.get('repairedGeometries')!.examples[0]!.detail).to.match(/Self-intersection/);
      expect(byRule.get('rejectedFeatures')).to.include({ level: 'fail', count: 1 });
      expect(byRule.get('rejectedFeatures')!.examples[0]).to.deep.include({ feature: 3, detail: 'no geometry' });
      expect(result.report).to.include({ featuresRead: 3, featuresLoaded: 2, featuresRejected: 1, passed: false });
      expect((await pool.query<{ v: number }>(`SELECT live_version AS v FROM meta.datasets WHERE id = 'landuse'`)).rows[0]!.v).to.equal(before);
    });
  });

  describe('given a pool whose statement deadline is far shorter than the import statements', () => {
    it('imports all the same, and gives the connection back with its deadline', async () => {
      await rm(join(inbox, 'dltb'), { recursive: true, force: true });
      await writeParcelShapefile(join(inbox, 'dltb', 'DLTB'), parcelRow(20_000, { perRow: 200 }), { prj: await prjOf(pool, 4527) });
      const hurried = createPool({ url: config.databaseUrl, database: { ...config.database, statementTimeoutMs: 300, poolSize: 1 }, applicationName: 'planmap-import-deadline', logger: silentLogger });
      try {
        const result = await importDataset(hurried, config, 'landuse', CLI, silentLogger);
        expect(result.report.featuresLoaded).to.equal(20_000);
        const { rows } = await hurried.query<{ statement_timeout: string }>('SHOW statement_timeout');
        expect(rows[0]!.statement_timeout).to.equal('300ms');
      } finally {
        await hurried.end();
      }
    });
  });

  describe('given the database going away in the middle of an import', () => {
    it('fails the import, leaves the live version as it was, and the next import cleans up and succeeds', async () => {
      await rm(join(inbox, 'dltb'), { recursive: true, force: true });
      await writeParcelShapefile(join(inbox, 'dltb', 'DLTB'), parcelRow(20_000, { perRow: 200 }), { prj: await prjOf(pool, 4527) });
      const lastJobBefore = (await pool.query<{ id: number }>('SELECT coalesce(max(id), 0)::int AS id FROM meta.import_jobs')).rows[0]!.id;
      const target = new URL(config.databaseUrl);
      const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
      await proxy.start();
      const viaProxy = new URL(config.databaseUrl);
      viaProxy.port = String(proxy.port);
      const fragile = createPool({ url: viaProxy.toString(), database: { ...config.database, connectTimeoutMs: 1000 }, applicationName: 'planmap-import-outage', logger: silentLogger });
      let cut = false;
      try {
        const error = await importDataset(fragile, config, 'landuse', {
          ...CLI,
          onProgress: ({ features }) => {
            if (features >= 5000 && !cut) {
              cut = true;
              void proxy.stop();
            }
          },
        }, silentLogger).then(() => null, (caught: unknown) => caught);
        expect(cut, 'the connection was cut during the COPY').to.equal(true);
        expect(error, 'the import fails').to.be.instanceOf(Error);
      } finally {
        await proxy.stop();
        await fragile.end().catch(() => undefined);
      }
      const live = await pool.query<{ live_version: number; count: number }>(
        `SELECT d.live_version, (SELECT count(*)::int FROM live.landuse) AS count FROM meta.datasets d WHERE d.id = 'landuse'`,
      );
      expect(live.rows[0]).to.deep.equal({ live_version: 3, count: 20_000 });
      // The cut session's backend holds the import lock until it notices its client is gone,
      // which on a busy machine can take a moment after the COPY data it has buffered.
      await waitForSessionsToEnd(pool, 'planmap-import-outage');
      const result = await importDataset(pool, config, 'landuse', CLI, silentLogger);
      expect(result.version).to.equal(4);
      expect(result.report.featuresLoaded).to.equal(20_000);
      const { rows: jobs } = await pool.query<{ status: string; error: string | null }>(
        'SELECT status, error FROM meta.import_jobs WHERE id > $1 ORDER BY id',
        [lastJobBefore],
      );
      expect(jobs.map((job) => job.status)).to.deep.equal(['failed', 'succeeded']);
      expect(jobs[0]!.error).to.match(/interrupted/);
      const { rows: leftovers } = await pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'data' AND tablename ~ '__(staging|work)_'`);
      expect(leftovers).to.deep.equal([]);
    });
  });
});

/** Resolves once no backend of `applicationName` is left; rejects after 10 s. */
async function waitForSessionsToEnd(pool: Pool, applicationName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    if (rows[0]!.count === 0) return;
    if (Date.now() > deadline) throw new Error(`${rows[0]!.count} session(s) of ${applicationName} still open after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
