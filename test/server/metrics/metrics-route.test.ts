import { expect } from 'chai';
import { WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import { createApp } from '../../../server/app.js';
import { createTileCache } from '../../../server/cache/create-tile-cache.js';
import { createServerMetrics } from '../../../server/metrics/server-metrics.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';
import { tilesAroundParcels } from '../../support/tile-expectations.js';
import { labelValues, metricValue } from './prometheus-text.js';

describe('GET /metrics', () => {
  let server: RunningServer;
  let cache: ReturnType<typeof createTileCache>;
  let text: string;

  before(async () => {
    const { config, pool } = sampleFixture();
    const catalog = await loadTilesetCatalog(pool, config, silentLogger);
    const metrics = createServerMetrics({ tilesetIds: config.tilesets.map((tileset) => tileset.id), memoryBytes: () => cache.memoryBytes });
    const memoryOnly = { ...config.cache, shared: 'none' as const };
    cache = createTileCache(memoryOnly, { logger: silentLogger, observer: metrics });
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog, tileCache: cache, metrics }));
    const [tile] = await tilesAroundParcels(pool, WebMercatorQuad, 14, 1);
    const landuse = `/tiles/landuse/14/${tile!.x}/${tile!.y}.mvt`;
    for (const path of [landuse, landuse, landuse, `/tiles/landuse,county/14/${tile!.x}/${tile!.y}.mvt`, '/tiles/county/8/210/99.mvt']) {
      expect((await rawGet(server.baseUrl + path)).status, path).to.equal(200);
    }
    // Request text that must never become a label value.
    for (const path of ['/tiles/secret_token_abc/14/1/1.mvt', '/tiles/landuse/25/1/1.mvt', '/tiles/landuse/14/1/1.png']) {
      expect((await rawGet(server.baseUrl + path)).status, path).to.be.within(400, 499);
    }
    const response = await rawGet(`${server.baseUrl}/metrics`);
    expect(response.status).to.equal(200);
    expect(response.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    expect(response.headers['cache-control']).to.equal('no-store');
    text = response.body.toString('utf8');
  });

  after(async () => {
    await server.close();
    await cache.close();
  });

  it('counts cache hits and misses by tier, and computed tiles', () => {
    expect(metricValue(text, 'planmap_tile_cache_lookups_total', { tier: 'memory', result: 'hit' })).to.equal(2);
    expect(metricValue(text, 'planmap_tile_cache_lookups_total', { tier: 'memory', result: 'miss' })).to.equal(3);
    expect(metricValue(text, 'planmap_tiles_computed_total')).to.equal(3);
    expect(metricValue(text, 'planmap_tile_cache_memory_bytes')).to.be.greaterThan(0);
  });

  it('has a latency histogram by tileset and zoom', () => {
    expect(metricValue(text, 'planmap_tile_duration_seconds_count', { tileset: 'landuse', zoom: '14' })).to.equal(3);
    expect(metricValue(text, 'planmap_tile_duration_seconds_count', { tileset: 'composite', zoom: '14' })).to.equal(1);
    expect(metricValue(text, 'planmap_tile_duration_seconds_count', { tileset: 'county', zoom: '8' })).to.equal(1);
    expect(metricValue(text, 'planmap_tile_duration_seconds_bucket', { tileset: 'landuse', zoom: '14', le: '+Inf' })).to.equal(3);
  });

  it('keeps label values to configured tilesets, "composite" and zooms 0-24: never request text', () => {
    expect([...labelValues(text, 'planmap_tile_duration_seconds', 'tileset')].sort()).to.deep.equal(['composite', 'county', 'landuse']);
    expect([...labelValues(text, 'planmap_tile_duration_seconds', 'zoom')].sort()).to.deep.equal(['14', '8']);
    expect(text).to.not.include('secret_token_abc');
  });

  it('includes the process metrics', () => {
    expect(metricValue(text, 'process_cpu_user_seconds_total')).to.be.greaterThan(0);
    expect(text).to.include('nodejs_eventloop_lag_seconds');
  });
});
