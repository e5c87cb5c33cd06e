import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import { createApp } from '../../../server/app.js';
import { createTileCache } from '../../../server/cache/create-tile-cache.js';
import type { TileCache } from '../../../server/cache/tile-cache.js';
import { createServerMetrics } from '../../../server/metrics/server-metrics.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import { listen, rawGet, type RawResponse, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger, testConfig } from '../../support/test-database.js';
import { tilesAroundParcels } from '../../support/tile-expectations.js';
import { metricValue } from '../metrics/prometheus-text.js';

/**
 * The synchronous answer of a public tile the memory tier holds (server/routes/cached-tile-now.ts)
 * must be indistinguishable from the full route's: same status, body and headers, the same
 * rate limit (one token per request, whichever path answers) and the same CORS.
 */

/** Headers that differ per response by design. */
const PER_RESPONSE = new Set(['x-request-id', 'date']);

function comparableHeaders(response: RawResponse): Record<string, string | string[] | undefined> {
  return Object.fromEntries(Object.entries(response.headers).filter(([name]) => !PER_RESPONSE.has(name)));
}

interface App {
  readonly server: RunningServer;
  readonly cache: TileCache;
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

async function startApp(adjust: (raw: Record<string, unknown>) => void): Promise<App> {
  const { config: fixtureConfig, pool } = sampleFixture();
  const config: AppConfig = testConfig(fixtureConfig.databaseUrl, (raw) => {
    raw.cache = { ...(raw.cache as Record<string, unknown>), enabled: true, shared: 'none' };
    adjust(raw);
  });
  const metrics = createServerMetrics({ tilesetIds: config.tilesets.map((tileset) => tileset.id), processMetrics: false });
  const cache = createTileCache(config.cache, { logger: silentLogger, observer: metrics });
  const catalog = await loadTilesetCatalog(pool, config, silentLogger);
  const server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog, tileCache: cache, metrics }));
  return {
    server,
    cache,
    metricsText: async () => (await rawGet(`${server.baseUrl}/metrics`)).body.toString('utf8'),
    close: async () => {
      await server.close();
      await cache.close();
    },
  };
}

function withAccess(access: Record<string, unknown>): (raw: Record<string, unknown>) => void {
  return (raw) => {
    raw.access = { ...((raw.access ?? {}) as Record<string, unknown>), ...access };
  };
}

describe('cached tiles answered at once (server/routes/cached-tile-now.ts)', () => {
  let tilePath: string;
  let emptyPath: string;

  before(async () => {
    const [tile] = await tilesAroundParcels(sampleFixture().pool, WebMercatorQuad, 14, 1);
    tilePath = `/tiles/landuse/${tile!.z}/${tile!.x}/${tile!.y}.mvt`;
    emptyPath = '/tiles/landuse/12/0/0.mvt';
  });

  describe('with the default access settings (public tilesets, any origin)', () => {
    let app: App;
    before(async () => {
      app = await startApp(() => undefined);
    });
    after(async () => app?.close());

    it('answers a memory hit with the same status, body and headers as the computed tile', async () => {
      const computed = await rawGet(app.server.baseUrl + tilePath, { 'Accept-Encoding': 'gzip' });
      const cached = await rawGet(app.server.baseUrl + tilePath, { 'Accept-Encoding': 'gzip' });
      expect(computed.status).to.equal(200);
      expect(cached.status).to.equal(200);
      expect(cached.body).to.deep.equal(computed.body);
      expect(comparableHeaders(cached)).to.deep.equal(comparableHeaders(computed));
      expect(cached.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
      expect(cached.headers['x-request-id']).to.not.equal(computed.headers['x-request-id']);
      const metrics = await app.metricsText();
      expect(metricValue(metrics, 'planmap_tiles_computed_total')).to.equal(1);
      expect(metricValue(metrics, 'planmap_tile_cache_lookups_total', { tier: 'memory', result: 'hit' })).to.equal(1);
    });

    it('answers a cached empty tile 204 with the headers of the computed one', async () => {
      const computed = await rawGet(app.server.baseUrl + emptyPath, { 'Accept-Encoding': 'gzip' });
      const cached = await rawGet(app.server.baseUrl + emptyPath, { 'Accept-Encoding': 'gzip' });
      expect([computed.status, cached.status]).to.deep.equal([204, 204]);
      expect(comparableHeaders(cached)).to.deep.equal(comparableHeaders(computed));
    });

    it('keeps an offered X-Request-Id, and leaves conditional and non-gzip requests to the full route', async () => {
      const cached = await rawGet(app.server.baseUrl + tilePath, { 'Accept-Encoding': 'gzip', 'X-Request-Id': 'trace-42' });
      expect(cached.headers['x-request-id']).to.equal('trace-42');
      const revalidated = await rawGet(app.server.baseUrl + tilePath, { 'Accept-Encoding': 'gzip', 'If-None-Match': cached.headers.etag! });
      expect(revalidated.status).to.equal(304);
      const plain = await rawGet(app.server.baseUrl + tilePath);
      expect(plain.status).to.equal(200);
      expect(plain.headers['content-encoding']).to.equal(undefined);
      const weighted = await rawGet(app.server.baseUrl + tilePath, { 'Accept-Encoding': 'gzip;q=0, identity' });
      expect(weighted.headers['content-encoding']).to.equal(undefined);
    });

    it('answers bad paths of cached tilesets as before (the fast path only ever answers hits)', async () => {
      expect((await rawGet(`${app.server.baseUrl}/tiles/landuse/14/-1/0.mvt`, { 'Accept-Encoding': 'gzip' })).status).to.equal(400);
      expect((await rawGet(`${app.server.baseUrl}/tiles/landuse/30/0/0.mvt`, { 'Accept-Encoding': 'gzip' })).status).to.equal(404);
      expect((await rawGet(`${app.server.baseUrl}/tiles/landuse,landuse/14/0/0.mvt`, { 'Accept-Encoding': 'gzip' })).status).to.equal(400);
      expect((await rawGet(`${app.server.baseUrl}/tiles/nosuch/14/0/0.mvt`, { 'Accept-Encoding': 'gzip' })).status).to.equal(404);
    });
  });

  describe('with CORS for listed origins only and a small rate limit', () => {
    const ORIGIN = 'https://gis.example.gov.cn';
    let app: App;
    before(async () => {
      app = await startApp(
        withAccess({
          cors: { origins: [ORIGIN], publicAnyOrigin: false },
          rateLimits: { tiles: { perToken: { ratePerSecond: 0.001, burst: 5 }, perAddress: { ratePerSecond: 0.001, burst: 5 } } },
        }),
      );
    });
    after(async () => app?.close());

    it('echoes an allowed origin with Vary: Origin on hits as on misses, and sends no CORS to others', async () => {
      const computed = await rawGet(app.server.baseUrl + tilePath, { 'Accept-Encoding': 'gzip', Origin: ORIGIN });
      const cached = await rawGet(app.server.baseUrl + tilePath, { 'Accept-Encoding': 'gzip', Origin: ORIGIN });
      expect(cached.headers['access-control-allow-origin']).to.equal(ORIGIN);
      expect(cached.headers.vary).to.equal('Origin, Accept-Encoding');
      expect(comparableHeaders(cached)).to.deep.equal(comparableHeaders(computed));
      const foreign = await rawGet(app.server.baseUrl + tilePath, { 'Accept-Encoding': 'gzip', Origin: 'https://elsewhere.example' });
      expect(foreign.status).to.equal(200);
      expect(foreign.headers['access-control-allow-origin']).to.equal(undefined);
      expect(foreign.headers.vary).to.equal('Accept-Encoding');
    });

    it('takes one token per request whichever path answers, and refuses cached tiles too when the bucket is empty', async () => {
      // Three requests above used three of the five; one hit and one full-route answer use the rest.
      expect((await rawGet(app.server.baseUrl + tilePath, { 'Accept-Encoding': 'gzip' })).status).to.equal(200);
      expect((await rawGet(app.server.baseUrl + tilePath)).status).to.equal(200);
      const refused = await rawGet(app.server.baseUrl + tilePath, { 'Accept-Encoding': 'gzip' });
      expect(refused.status).to.equal(429);
      expect(Number(refused.headers['retry-after'])).to.be.greaterThan(0);
      expect(refused.headers['x-request-id']).to.be.a('string');
      expect(refused.headers['x-content-type-options']).to.equal('nosniff');
      expect(JSON.parse(refused.body.toString('utf8'))).to.include({ error: 'rate_limited' });
    });
  });
});
