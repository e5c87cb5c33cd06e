import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { readConfigFile, resolveConfigFile } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import { rawGet } from '../support/http-server.js';
import { sampleFixture } from '../support/sample-fixture.js';
import { ServerProcess } from '../support/server-process.js';
import { poolBehindProxy, TcpProxy } from '../support/tcp-proxy.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../support/test-database.js';
import { startAccessServer, type AccessServer } from '../server/access/access-test-server.js';
import { formatLoad, runLoad } from './load-driver.js';
import { runSeed } from './seeded-random.js';
import { reliabilityTilePaths } from './tile-paths.js';

/**
 * Faults while serving. PostgreSQL is "lost" through a TCP proxy in front of the shared cluster
 * (which is never restarted: other tests use it); Redis likewise through a proxy in front of the
 * shared Redis; SIGTERM goes to the server as operators run it (server/main.ts, a child
 * process). An import killed mid-way, or its database dropped, is covered by
 * test/pipeline/faults/kill-import.test.ts and database-lost.test.ts.
 */
describe('reliability: faults', function () {
  this.timeout(180_000);
  let database: TestDatabase;
  let ownPool: Pool;
  let paths: string[];

  before(async () => {
    database = await createTestDatabase('reliability-faults');
    ownPool = await openMigratedPool(testConfig(database.url));
    paths = await reliabilityTilePaths(sampleFixture().pool, 20);
  });

  after(async () => {
    await ownPool?.end();
    await database?.drop();
  });

  describe('PostgreSQL lost while serving', () => {
    let proxy: TcpProxy;
    let tilePool: Pool;
    let server: AccessServer;

    before(async () => {
      const { config } = sampleFixture();
      ({ proxy, pool: tilePool } = await poolBehindProxy(config, 'planmap-reliability'));
      server = await startAccessServer(ownPool, database.url, { memoryCache: true, tilePool });
    });

    after(async () => {
      await server?.close();
      await proxy?.stop();
      await tilePool?.end();
    });

    it('answers 503 for uncached tiles while it is down, keeps serving cached ones, and recovers without a restart', async () => {
      const cached = paths.slice(0, 5);
      const uncached = paths.slice(5, 25);
      for (const path of cached) expect((await rawGet(server.baseUrl + path)).status).to.be.oneOf([200, 204]);

      await proxy.stop();
      const whileDown = [];
      for (const path of uncached.slice(0, 10)) whileDown.push((await rawGet(server.baseUrl + path)).status);
      expect(whileDown.every((status) => status === 503), `uncached while down: ${whileDown.join(' ')}`).to.equal(true);
      const cachedWhileDown = [];
      for (const path of cached) cachedWhileDown.push((await rawGet(server.baseUrl + path)).status);
      expect(cachedWhileDown.every((status) => status === 200 || status === 204), `cached while down: ${cachedWhileDown.join(' ')}`).to.equal(true);
      const refused = await rawGet(server.baseUrl + uncached[0]!);
      expect(JSON.parse(refused.body.toString())).to.deep.include({ error: 'database_unavailable' });

      await proxy.start(); // the same port: the database is back
      let recovered: number[] = [];
      for (let attempt = 0; attempt < 50; attempt++) {
        recovered = [];
        for (const path of uncached.slice(10)) recovered.push((await rawGet(server.baseUrl + path)).status);
        if (recovered.every((status) => status === 200 || status === 204)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(recovered.every((status) => status === 200 || status === 204), `after recovery: ${recovered.join(' ')}`).to.equal(true);
    });
  });

  describe('Redis lost while serving', () => {
    // A proxy in front of the shared Redis: stopping it cuts every connection and refuses new
    // ones, as a killed Redis does, without touching the Redis other tests use.
    const redisUrl = new URL(process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379');
    let proxy: TcpProxy;
    let server: AccessServer;

    before(async () => {
      proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
      await proxy.start();
      // The load here is from one address, above the default per-address rate: this test is about Redis, not limits.
      server = await startAccessServer(ownPool, database.url, {
        memoryCache: true,
        redisUrl: `redis://127.0.0.1:${proxy.port}`,
        adjustAccess: (access) => {
          access.rateLimits = { enabled: false };
        },
      });
    });

    after(async () => {
      await server?.close();
      await proxy?.stop();
      const redis = new Redis(redisUrl.toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        const keys = await redis.keys(`planmap-test-${process.pid}:*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    });

    it('serves every tile without an error before, while and after Redis is down', async () => {
      const seed = runSeed();
      const load = (durationMs: number) => runLoad({ baseUrl: server.baseUrl, paths, hotCount: 10, hotShare: 0.6, clients: 8, durationMs, seed });
      const before = await load(1500);
      const during = load(3000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await proxy.stop();
      const down = await during;
      await proxy.start(); // Redis is back on the same address
      const after = await load(2500);
      console.log(`      seed ${seed}\n      ${formatLoad('before', before)}\n      ${formatLoad('Redis lost', down)}\n      ${formatLoad('Redis back', after)}`);
      for (const result of [before, down, after]) {
        expect(result.errorSamples).to.deep.equal([]);
        expect(result.requests).to.be.greaterThan(0);
      }
    });
  });

  describe('SIGTERM under load (server/main.ts as a child process)', () => {
    let configDir: string;

    before(async () => {
      configDir = await mkdtemp(join(tmpdir(), 'planmap-reliability-'));
    });

    after(async () => {
      await rm(configDir, { recursive: true, force: true });
    });

    it('finishes every request in flight and exits 0', async () => {
      const raw = readConfigFile(resolveConfigFile(undefined)) as { server?: Record<string, unknown>; cache?: Record<string, unknown> };
      raw.server = { ...raw.server, shutdownTimeoutMs: 30_000 };
      raw.cache = { ...raw.cache, enabled: false }; // every request reaches the database: in flight long enough to matter
      const file = join(configDir, 'sigterm.yaml');
      await writeFile(file, stringify(raw));
      const server = await ServerProcess.start({ DATABASE_URL: sampleFixture().config.databaseUrl, CONFIG_FILE: file, LOG_LEVEL: 'debug' });
      const { baseUrl, lines } = server;

      // 16 clients, a new connection per request, until the server refuses connections.
      const outcomes = { complete: 0, refusedConnection: 0, cutAfterResponseStarted: 0, closedBeforeAnyResponse: 0, badStatus: [] as number[] };
      let stopping = false;
      const client = async (index: number) => {
        for (let i = index; ; i += 16) {
          const result = await getOnce(baseUrl + paths[i % paths.length]!);
          if (result.kind === 'complete') {
            if (result.status === 200 || result.status === 204) outcomes.complete++;
            else outcomes.badStatus.push(result.status);
          } else if (result.kind === 'refused') {
            outcomes.refusedConnection++;
            if (stopping) return;
          } else if (result.kind === 'cut') outcomes.cutAfterResponseStarted++;
          else outcomes.closedBeforeAnyResponse++;
          if (stopping && result.kind !== 'complete') return;
        }
      };
      const clients = Array.from({ length: 16 }, (_, i) => client(i));
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const beforeSignal = outcomes.complete;
      stopping = true;
      server.child.kill('SIGTERM');
      await Promise.all(clients);
      const { code, signal } = await server.exited;
      console.log(`      SIGTERM after ${beforeSignal} responses: ${JSON.stringify(outcomes)}`);
      expect(beforeSignal).to.be.greaterThan(0);
      expect(outcomes.cutAfterResponseStarted, 'responses cut off').to.equal(0);
      expect(outcomes.badStatus, 'statuses other than 200/204').to.deep.equal([]);
      expect(lines.filter((line) => line.msg === 'request closed before the response was complete')).to.deep.equal([]);
      expect(lines.find((line) => line.msg === 'shutdown complete')).to.include({ clean: true });
      expect({ code, signal }).to.deep.equal({ code: 0, signal: null });
    });
  });
});

type GetOutcome = { kind: 'complete'; status: number } | { kind: 'refused' } | { kind: 'cut' } | { kind: 'closed-before-response' };

/** One GET on its own connection, classified: complete, connection refused, cut after the response started, or closed before any response. */
function getOnce(url: string): Promise<GetOutcome> {
  return new Promise((resolve) => {
    let started = false;
    const req = http.get(url, { agent: false }, (res) => {
      started = true;
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.complete ? { kind: 'complete', status: res.statusCode ?? 0 } : { kind: 'cut' }));
      res.on('aborted', () => resolve({ kind: 'cut' }));
      res.on('error', () => resolve({ kind: 'cut' }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (started) resolve({ kind: 'cut' });
      else resolve(error.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'closed-before-response' });
    });
  });
}
