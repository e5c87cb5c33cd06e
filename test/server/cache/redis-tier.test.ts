import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { encodeTile, type CachedTile } from '../../../server/cache/cached-tile.js';
import { MemoryTier } from '../../../server/cache/memory-tier.js';
import { RedisTier } from '../../../server/cache/redis-tier.js';
import { TieredTileCache } from '../../../server/cache/tiered-tile-cache.js';
import { buildTileKey, type TileKey } from '../../../server/cache/tile-key.js';
import { TileSelection } from '../../../server/cache/tile-selection.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { RecordingObserver, recordingLogger } from './recording.js';

/** The Redis the tests use (a real one, as the database is). */
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

function key(overrides: Partial<Parameters<typeof buildTileKey>[0]> = {}): TileKey {
  return buildTileKey({ tileset: 'landuse', versions: ['v1-0000aaaa'], grid: 'WebMercatorQuad', z: 14, x: 13600, y: 6240, format: 'mvt', scale: 1, ...overrides });
}

describe('the Redis tier', () => {
  let admin: Redis;
  let prefix: string;
  let log: ReturnType<typeof recordingLogger>;
  const open: RedisTier[] = [];

  function redisTier(observer: RecordingObserver, url = REDIS_URL): RedisTier {
    const tier = new RedisTier({ url, keyPrefix: prefix, commandTimeoutMs: 500, connectTimeoutMs: 1000, ttlSeconds: 600, retryAfterMs: 200, logger: log.logger, observer });
    open.push(tier);
    return tier;
  }

  /** One replica: its own memory, the shared Redis. */
  function replica(observer: RecordingObserver, tier = redisTier(observer)): TieredTileCache {
    return new TieredTileCache({ memory: new MemoryTier(1 << 20), shared: [tier], observer });
  }

  function computing(label: string): { compute: () => Promise<CachedTile>; runs: () => number } {
    let runs = 0;
    return { compute: async () => ((runs += 1), encodeTile(Buffer.from(`${label} `.repeat(500)), { gzipLevel: 6 })), runs: () => runs };
  }

  before(async () => {
    admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await admin.connect();
    } catch (error) {
      throw new Error(`tests need Redis at ${REDIS_URL} (TEST_REDIS_URL): ${(error as Error).message}`, { cause: error });
    }
  });

  beforeEach(async () => {
    prefix = `planmap-test-${process.pid}-${randomBytes(3).toString('hex')}:`;
    log = recordingLogger();
  });

  afterEach(async () => {
    for (const tier of open.splice(0)) await tier.close();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.unlink(...keys);
  });

  after(() => admin.quit());

  describe('given two replicas sharing one Redis', () => {
    it('serves a tile computed by one as a Redis hit on the other', async () => {
      const [observerA, observerB] = [new RecordingObserver(), new RecordingObserver()];
      const tierA = redisTier(observerA);
      const tierB = redisTier(observerB);
      await Promise.all([tierA.whenReady(), tierB.whenReady()]);
      const a = replica(observerA, tierA);
      const b = replica(observerB, tierB);
      const tile = await a.getOrCompute(key(), computing('a').compute);
      const work = computing('never');
      expect(await b.getOrCompute(key(), work.compute)).to.deep.equal(tile);
      expect(work.runs()).to.equal(0);
      expect(observerB.lookups).to.deep.equal({ 'memory:miss': 1, 'redis:hit': 1 });
      expect(await admin.ttl(`${prefix}tile:${key().id}`)).to.be.within(1, 600);
    });
  });

  describe('given garbage stored under a key', () => {
    it('detects it, discards it and computes the tile again', async () => {
      const observer = new RecordingObserver();
      const tier = redisTier(observer);
      await tier.whenReady();
      await admin.set(`${prefix}tile:${key().id}`, 'garbage, not a tile entry');
      const work = computing('a');
      const tile = await replica(observer, tier).getOrCompute(key(), work.compute);
      expect(work.runs()).to.equal(1);
      expect(observer.corruptEntries).to.deep.equal({ redis: 1 });
      expect(await replica(new RecordingObserver(), tier).get(key())).to.deep.equal(tile);
    });
  });

  describe('sweep and purge', () => {
    it('remove stale namespaces and selected tiles, and nothing of another deployment (prefix)', async () => {
      const observer = new RecordingObserver();
      const tier = redisTier(observer);
      await tier.whenReady();
      const cache = replica(observer, tier);
      const old = key({ versions: ['v1-0000aaaa'] });
      const live = key({ versions: ['v2-0000aaaa'] });
      const liveElsewhere = key({ versions: ['v2-0000aaaa'], z: 10, x: 850, y: 390 });
      for (const k of [old, live, liveElsewhere]) await cache.getOrCompute(k, computing(k.id).compute);
      await admin.set(`other-deployment:tile:${old.id}`, 'kept');
      expect(await tier.sweep((namespace) => namespace === old.namespace)).to.equal(1);
      expect(await tier.has(old)).to.equal(false);
      expect(await tier.purge(new TileSelection({ tileset: 'landuse', zooms: [14, 14] }))).to.equal(1);
      expect(await tier.has(live)).to.equal(false);
      expect(await tier.has(liveElsewhere)).to.equal(true);
      expect(await admin.get(`other-deployment:tile:${old.id}`)).to.equal('kept');
      await admin.unlink(`other-deployment:tile:${old.id}`);
    });
  });

  describe('given Redis unreachable (a relay in front of it is stopped) and coming back', () => {
    let proxy: TcpProxy;

    before(async () => {
      const target = new URL(REDIS_URL);
      proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
      await proxy.start();
      await proxy.stop();
    });

    after(() => proxy.stop());

    it('serves every tile from memory and computation, logs once, and uses Redis again once it is back', async () => {
      const observer = new RecordingObserver();
      const tier = redisTier(observer, `redis://127.0.0.1:${proxy.port}`);
      const cache = replica(observer, tier);
      // Requests before, between and after several failed (re)connection attempts.
      for (let attempt = 0; attempt < 3; attempt++) {
        for (let i = attempt * 2; i < attempt * 2 + 2; i++) {
          const work = computing(`t${i}`);
          expect((await cache.getOrCompute(key({ x: i }), work.compute)).body).to.not.equal(null);
          expect(work.runs()).to.equal(1);
        }
        await tier.whenConnectionFails();
      }
      expect((await cache.getOrCompute(key({ x: 0 }), computing('never').compute)).body, 'memory still serves').to.not.equal(null);
      const warnings = log.lines.filter((line) => line.level === 40);
      expect(warnings, JSON.stringify(warnings)).to.have.length(1);
      expect(warnings[0]!.msg).to.match(/redis tier unavailable/);

      await proxy.start();
      await tier.whenReady();
      await cache.getOrCompute(key({ x: 99 }), computing('after').compute);
      expect(await admin.exists(`${prefix}tile:${key({ x: 99 }).id}`)).to.equal(1);
      expect(log.lines.filter((line) => /available again/.test(line.msg))).to.have.length(1);
      expect(log.lines.filter((line) => line.level === 40)).to.have.length(1);
    });
  });
});
