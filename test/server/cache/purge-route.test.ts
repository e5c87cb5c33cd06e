import { expect } from 'chai';
import express from 'express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createErrorMiddleware } from '../../../server/http/error-middleware.js';
import { encodeTile } from '../../../server/cache/cached-tile.js';
import { DiskTier } from '../../../server/cache/disk-tier.js';
import { MemoryTier } from '../../../server/cache/memory-tier.js';
import { RedisTier } from '../../../server/cache/redis-tier.js';
import { NO_CACHE_OBSERVER } from '../../../server/cache/tile-cache.js';
import { TieredTileCache } from '../../../server/cache/tiered-tile-cache.js';
import { buildTileKey } from '../../../server/cache/tile-key.js';
import { createCachePurgeRouter } from '../../../server/routes/cache-purge-route.js';
import { listen, type RunningServer } from '../../support/http-server.js';
import { silentLogger } from '../../support/test-database.js';

function post(url: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }).then(async (response) => ({
    status: response.status,
    json: (await response.json()) as Record<string, unknown>,
  }));
}

describe('POST /admin/cache/purge (the router mounted on a bare Express app)', () => {
  let directory: string;
  let cache: TieredTileCache;
  let server: RunningServer;
  const audited: { action: string; target: string }[] = [];
  const key = (tileset: string, z: number, x: number, y: number) =>
    buildTileKey({ tileset, versions: tileset.split(',').map(() => 'v1-0000aaaa'), grid: 'WebMercatorQuad', z, x, y, format: 'mvt', scale: 1 });

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'planmap-purge-'));
    cache = new TieredTileCache({
      memory: new MemoryTier(1 << 20),
      shared: [new DiskTier({ directory, logger: silentLogger, observer: NO_CACHE_OBSERVER, retryAfterMs: 1000 })],
      observer: NO_CACHE_OBSERVER,
    });
    const app = express();
    app.use(express.json());
    app.use('/admin', createCachePurgeRouter({
      cache,
      tilesetIds: ['landuse', 'county'],
      logger: silentLogger,
      runAction: async (req, res, action) => {
        audited.push({ action: action.action, target: action.target });
        return action.work();
      },
    }));
    app.use(createErrorMiddleware(silentLogger));
    server = await listen(app);
  });

  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('purges the tileset in the bbox and zooms from every tier, counts them, and runs through the action runner', async () => {
    const tile = await encodeTile(Buffer.alloc(2000, 3), { gzipLevel: 1 });
    // z12 3400/1560 covers 118.83-118.92°E 39.30-39.37°N; the others lie elsewhere or at z16.
    const inside = [key('landuse', 12, 3400, 1560), key('landuse,county', 12, 3400, 1560)];
    const outside = [key('landuse', 12, 100, 100), key('landuse', 16, 54400, 24960), key('county', 12, 3400, 1560)];
    for (const k of [...inside, ...outside]) await cache.put(k, tile);
    const response = await post(`${server.baseUrl}/admin/cache/purge`, JSON.stringify({ tileset: 'landuse', bbox: [118.85, 39.32, 118.9, 39.35], zooms: [0, 14] }));
    expect(response.status).to.equal(200);
    expect(response.json).to.deep.equal({
      tileset: 'landuse', bbox: [118.85, 39.32, 118.9, 39.35], zooms: [0, 14], removed: { memory: 2, disk: 2 }, total: 4,
    });
    for (const k of inside) expect(await cache.has(k), k.id).to.equal(false);
    for (const k of outside) expect(await cache.has(k), k.id).to.equal(true);
    expect(audited.at(-1)).to.deep.equal({ action: 'cache.purge', target: 'tileset:landuse' });
  });

  it('purges every zoom and place of a tileset when only the tileset is given', async () => {
    const response = await post(`${server.baseUrl}/admin/cache/purge`, JSON.stringify({ tileset: 'landuse' }));
    expect(response.status).to.equal(200);
    expect(response.json.removed).to.deep.equal({ memory: 2, disk: 2 });
    expect(response.json.zooms).to.deep.equal([0, 24]);
    expect(response.json.bbox).to.equal(null);
  });

  const bad: [string, unknown, RegExp][] = [
    ['a bbox of three numbers', { tileset: 'landuse', bbox: [115, 36, 116] }, /^bbox: must be \[west, south, east, north\] in degrees/],
    ['a bbox with west beyond east', { tileset: 'landuse', bbox: [116, 36, 115, 37] }, /^bbox: west \(116\) must be less than east \(115\)/],
    ['a bbox with a string', { tileset: 'landuse', bbox: [115, 'x', 116, 37] }, /^bbox\[1\]: must be a number/],
    ['a bbox in metres', { tileset: 'landuse', bbox: [12900000, 4300000, 13000000, 4400000] }, /^bbox: west and east must lie in \[-180, 180\]/],
    ['zooms reversed', { tileset: 'landuse', zooms: [14, 10] }, /^zooms: /],
    ['an unknown tileset', { tileset: 'roads' }, /^tileset: unknown tileset "roads"/],
    ['no tileset', {}, /^tileset: /],
    ['an unknown field', { tileset: 'landuse', area: 'x' }, /unknown field "area"/],
  ];
  for (const [label, body, message] of bad) {
    it(`answers 400 naming the field for ${label}`, async () => {
      const response = await post(`${server.baseUrl}/admin/cache/purge`, JSON.stringify(body));
      expect(response.status).to.equal(400);
      expect(response.json.error).to.equal('bad_request');
      expect(String(response.json.message)).to.match(message);
    });
  }

  it('answers 400 to a body that is not an object', async () => {
    const response = await post(`${server.baseUrl}/admin/cache/purge`, '[1, 2, 3]');
    expect(response.status).to.equal(400);
    expect(String(response.json.message)).to.match(/JSON object/);
  });

  it('is not served for GET', async () => {
    const response = await fetch(`${server.baseUrl}/admin/cache/purge`);
    expect(response.status).to.equal(404);
  });

  describe('given a Redis tier that cannot be reached', () => {
    it('answers 503 saying the purge is incomplete', async () => {
      const redis = new RedisTier({
        url: 'redis://127.0.0.1:1', keyPrefix: 'planmap-purge-test:', commandTimeoutMs: 100, connectTimeoutMs: 200, ttlSeconds: 0,
        retryAfterMs: 60_000, logger: silentLogger, observer: NO_CACHE_OBSERVER,
      });
      const unreachable = new TieredTileCache({ memory: new MemoryTier(1 << 20), shared: [redis], observer: NO_CACHE_OBSERVER });
      const app = express();
      app.use(express.json());
      app.use('/admin', createCachePurgeRouter({ cache: unreachable, tilesetIds: ['landuse'], logger: silentLogger }));
      app.use(createErrorMiddleware(silentLogger));
      const bare = await listen(app);
      try {
        const response = await post(`${bare.baseUrl}/admin/cache/purge`, JSON.stringify({ tileset: 'landuse' }));
        expect(response.status).to.equal(503);
        expect(response.json.error).to.equal('cache_unavailable');
        expect(String(response.json.message)).to.match(/purge incomplete.*Redis/);
      } finally {
        await bare.close();
        await unreachable.close();
      }
    });
  });
});
