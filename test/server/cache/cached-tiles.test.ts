import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { rollbackDataset } from '../../../pipeline/publish/dataset-versions.js';
import { countyNames, publishCountyNames } from './county-versions.js';
import { generateSample } from '../../../pipeline/sample/generate-sample.js';
import { createApp } from '../../../server/app.js';
import { CacheSweeper } from '../../../server/cache/cache-sweeper.js';
import { createTileCache } from '../../../server/cache/create-tile-cache.js';
import type { TileCache } from '../../../server/cache/tile-cache.js';
import { readLiveVersions, VectorTileKeys } from '../../../server/cache/vector-tile-keys.js';
import { createServerMetrics, type ServerMetrics } from '../../../server/metrics/server-metrics.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import { listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { poolBehindProxy, TcpProxy } from '../../support/tcp-proxy.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { tilesAroundParcels } from '../../support/tile-expectations.js';
import { metricValue } from '../metrics/prometheus-text.js';

/** A county tile of the sample (Dongchangfu and neighbours), and one with no data. */
const COUNTY_TILE = '/tiles/county/8/210/99.mvt';
const EMPTY_TILE = '/tiles/landuse/12/0/0.mvt';

/** The app as main.ts builds it, with a disk tier in a temporary folder and the catalog held in a variable. */
interface CachedServer {
  readonly server: RunningServer;
  readonly cache: TileCache;
  readonly metrics: ServerMetrics;
  catalog: TilesetCatalog;
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

async function startCachedServer(config: AppConfig, pool: Pool, directory: string): Promise<CachedServer> {
  const cachedConfig = { ...config, cache: { ...config.cache, shared: 'disk' as const, disk: { directory } } };
  const metrics = createServerMetrics({ tilesetIds: config.tilesets.map((tileset) => tileset.id), processMetrics: false });
  const cache = createTileCache(cachedConfig.cache, { logger: silentLogger, observer: metrics });
  const state = { catalog: await loadTilesetCatalog(pool, config, silentLogger) };
  const server = await listen(createApp({ config: cachedConfig, pool, logger: silentLogger, catalog: () => state.catalog, tileCache: cache, metrics }));
  return Object.assign(state, {
    server,
    cache,
    metrics,
    metricsText: async () => (await rawGet(`${server.baseUrl}/metrics`)).body.toString('utf8'),
    close: async () => {
      await server.close();
      await cache.close();
    },
  });
}

describe('cached vector tiles', () => {
  describe('given a publish and a rollback of the data behind a cached tile', () => {
    let database: TestDatabase;
    let pool: Pool;
    let directory: string;
    let app: CachedServer;
    let first: Buffer;

    before(async function () {
      this.timeout(120_000);
      database = await createTestDatabase('cache_fresh');
      const config = testConfig(database.url);
      pool = await openMigratedPool(config);
      await generateSample(pool, config, { parcels: 300, seed: 'cache' }, silentLogger);
      directory = await mkdtemp(join(tmpdir(), 'planmap-cache-fresh-'));
      app = await startCachedServer(config, pool, directory);
    });

    after(async () => {
      await app?.close();
      await pool?.end();
      await database?.drop();
      await rm(directory, { recursive: true, force: true });
    });

    it('serves the tile, then the same bytes from the cache without computing again', async () => {
      const response = await rawGet(app.server.baseUrl + COUNTY_TILE, { 'Accept-Encoding': 'gzip' });
      expect(response.status).to.equal(200);
      first = response.body;
      const again = await rawGet(app.server.baseUrl + COUNTY_TILE, { 'Accept-Encoding': 'gzip' });
      expect(again.body).to.deep.equal(first);
      expect(again.headers.etag).to.equal(response.headers.etag);
      const metrics = await app.metricsText();
      expect(metricValue(metrics, 'planmap_tiles_computed_total')).to.equal(1);
      expect(metricValue(metrics, 'planmap_tile_cache_lookups_total', { tier: 'memory', result: 'hit' })).to.equal(1);
    });

    it('serves the new tile on the very next request after a publish (catalog rebuilt), never the cached old one', async () => {
      await publishCountyNames(pool, '（新）');
      app.catalog = await loadTilesetCatalog(pool, testConfig(database.url), silentLogger);
      const response = await rawGet(app.server.baseUrl + COUNTY_TILE, { 'Accept-Encoding': 'gzip' });
      expect(response.status).to.equal(200);
      expect(response.body).to.not.deep.equal(first);
      expect(countyNames(response.body).every((name) => name.endsWith('（新）'))).to.equal(true);
      expect(countyNames(response.body)).to.have.length(countyNames(first).length);
    });

    it('brings the old tile back after a rollback', async () => {
      const client = await pool.connect();
      try {
        await rollbackDataset(client, 'county');
      } finally {
        client.release();
      }
      app.catalog = await loadTilesetCatalog(pool, testConfig(database.url), silentLogger);
      const response = await rawGet(app.server.baseUrl + COUNTY_TILE, { 'Accept-Encoding': 'gzip' });
      expect(gunzipSync(response.body)).to.deep.equal(gunzipSync(first));
    });

    it('sweeps the retired version from the disk tier and keeps the live one', async () => {
      const sweeper = new CacheSweeper({
        cache: app.cache,
        keys: new VectorTileKeys(testConfig(database.url)),
        readLiveVersions: () => readLiveVersions(pool),
        catalog: () => app.catalog,
        intervalMs: 60_000,
        logger: silentLogger,
      });
      // Live is version 1 again (rolled back): the namespace of version 2 goes, version 1 stays.
      expect(await sweeper.sweepNow()).to.deep.equal({ memory: 1, disk: 1 });
      expect(await sweeper.sweepNow()).to.deep.equal({ memory: 0, disk: 0 });
      const computedBefore = metricValue(await app.metricsText(), 'planmap_tiles_computed_total');
      expect((await rawGet(app.server.baseUrl + COUNTY_TILE)).status).to.equal(200);
      expect(metricValue(await app.metricsText(), 'planmap_tiles_computed_total')).to.equal(computedBefore);
    });
  });

  describe('given tiles cached while the database was up, and then the database goes away', () => {
    let proxy: TcpProxy;
    let pool: Pool;
    let directory: string;
    let app: CachedServer;
    let composite: string;
    let uncached: { z: number; x: number; y: number };

    before(async () => {
      const { config } = sampleFixture();
      ({ proxy, pool: pool } = await poolBehindProxy(config, 'planmap-cache-outage-test'));
      directory = await mkdtemp(join(tmpdir(), 'planmap-cache-outage-'));
      app = await startCachedServer(config, pool, directory);
      const [first, second] = await tilesAroundParcels(sampleFixture().pool, WebMercatorQuad, 13, 2);
      composite = `/tiles/landuse,county/${first!.z}/${first!.x}/${first!.y}.mvt`;
      uncached = second!;
      for (const path of [COUNTY_TILE, composite, EMPTY_TILE]) expect((await rawGet(app.server.baseUrl + path)).status, path).to.be.oneOf([200, 204]);
      await proxy.stop();
    });

    after(async () => {
      await app.close();
      await proxy.stop();
      await pool.end();
      await rm(directory, { recursive: true, force: true });
    });

    it('still serves the cached tiles, in either encoding, and the cached empty tile', async () => {
      const gzipped = await rawGet(app.server.baseUrl + COUNTY_TILE, { 'Accept-Encoding': 'gzip' });
      const plain = await rawGet(app.server.baseUrl + COUNTY_TILE);
      expect(gzipped.status).to.equal(200);
      expect(gzipped.headers['content-encoding']).to.equal('gzip');
      expect(plain.status).to.equal(200);
      expect(plain.headers['content-encoding']).to.equal(undefined);
      expect(gunzipSync(gzipped.body)).to.deep.equal(plain.body);
      expect(plain.headers.etag).to.not.equal(gzipped.headers.etag);
      expect((await rawGet(app.server.baseUrl + composite)).status).to.equal(200);
      const empty = await rawGet(app.server.baseUrl + EMPTY_TILE);
      expect(empty.status).to.equal(204);
      expect(empty.headers['cache-control']).to.equal('public, max-age=300');
    });

    it('answers 304 to a matching If-None-Match from the cache', async () => {
      const { headers } = await rawGet(app.server.baseUrl + COUNTY_TILE, { 'Accept-Encoding': 'gzip' });
      const revalidated = await rawGet(app.server.baseUrl + COUNTY_TILE, { 'Accept-Encoding': 'gzip', 'If-None-Match': headers.etag! });
      expect(revalidated.status).to.equal(304);
    });

    it('answers 503 for a tile that is not cached, and caches no failure', async () => {
      const path = `/tiles/landuse/${uncached.z}/${uncached.x}/${uncached.y}.mvt`;
      for (let i = 0; i < 2; i++) expect((await rawGet(app.server.baseUrl + path)).status).to.equal(503);
      const key = new VectorTileKeys(sampleFixture().config).keyFor('landuse', app.catalog.resolve('landuse').layers, WebMercatorQuad, uncached);
      expect(await app.cache.has(key)).to.equal(false);
      await proxy.start();
      expect((await rawGet(app.server.baseUrl + path)).status).to.equal(200);
      expect(await app.cache.has(key)).to.equal(true);
      await proxy.stop();
    });
  });
});
