import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { readConfigFile, resolveConfigFile } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { rollbackDataset } from '../../../pipeline/publish/dataset-versions.js';
import { countyNames, publishCountyNames } from './county-versions.js';
import { generateSample } from '../../../pipeline/sample/generate-sample.js';
import { rawGet } from '../../support/http-server.js';
import { ServerProcess } from '../../support/server-process.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { metricValue } from '../metrics/prometheus-text.js';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const COUNTY_TILE = '/tiles/county/8/210/99.mvt';

describe('two server processes on one PostgreSQL and one Redis', function () {
  this.timeout(180_000);
  let database: TestDatabase;
  let pool: Pool;
  let directory: string;
  let prefix: string;
  let replicas: ServerProcess[] = [];

  before(async () => {
    database = await createTestDatabase('replicas');
    const config = testConfig(database.url);
    pool = await openMigratedPool(config);
    await generateSample(pool, config, { parcels: 300, seed: 'replicas' }, silentLogger);
    directory = await mkdtemp(join(tmpdir(), 'planmap-replicas-'));
    prefix = `planmap-test-${process.pid}-${randomBytes(3).toString('hex')}:`;
    const raw = readConfigFile(resolveConfigFile(undefined)) as Record<string, unknown>;
    raw.cache = { shared: 'redis', redis: { url: REDIS_URL, keyPrefix: prefix } };
    // No scheduled imports in this test (the sample is published directly).
    for (const dataset of raw.datasets as Record<string, unknown>[]) delete dataset.schedule;
    const configFile = join(directory, 'replicas.yaml');
    await writeFile(configFile, stringify(raw));
    const env = { DATABASE_URL: database.url, CONFIG_FILE: configFile };
    replicas = await Promise.all([ServerProcess.start(env), ServerProcess.start(env)]);
    // Until its Redis connection is up a replica computes tiles itself (a miss, never an error).
    await Promise.all(replicas.map((replica) => replica.logged((line) => line.msg === 'tile cache: redis tier connected')));
  });

  after(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await pool?.end();
    await database?.drop();
    await rm(directory, { recursive: true, force: true });
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.unlink(...keys);
    await redis.quit();
  });

  it('serves a tile computed by one replica as a Redis hit on the other', async () => {
    const [a, b] = replicas as [ServerProcess, ServerProcess];
    const fromA = await rawGet(a.baseUrl + COUNTY_TILE, { 'Accept-Encoding': 'gzip' });
    expect(fromA.status).to.equal(200);
    const fromB = await rawGet(b.baseUrl + COUNTY_TILE, { 'Accept-Encoding': 'gzip' });
    expect(fromB.body).to.deep.equal(fromA.body);
    expect(fromB.headers.etag).to.equal(fromA.headers.etag);
    const [metricsA, metricsB] = [await metricsText(a), await metricsText(b)];
    expect(metricValue(metricsA, 'planmap_tiles_computed_total')).to.equal(1);
    expect(metricValue(metricsB, 'planmap_tiles_computed_total')).to.equal(0);
    expect(metricValue(metricsB, 'planmap_tile_cache_lookups_total', { tier: 'redis', result: 'hit' })).to.equal(1);
  });

  it('serves the new tile on both after a publish, and the old one on both after a rollback', async () => {
    const before = (await rawGet(replicas[0]!.baseUrl + COUNTY_TILE)).body;
    const marks = replicas.map((replica) => replica.lineCount);
    const version = await publishCountyNames(pool, '（新）');
    // Each replica rebuilds its catalog on the NOTIFY of the publish (server/live); its log says so.
    await Promise.all(replicas.map((replica, i) => replica.logged((line) => line.msg === 'tileset catalog rebuilt' && JSON.stringify(line.tilesets).includes(`county@v${version}`), marks[i])));
    for (const replica of replicas) {
      const names = countyNames((await rawGet(replica.baseUrl + COUNTY_TILE)).body);
      expect(names.every((name) => name.endsWith('（新）')), replica.baseUrl).to.equal(true);
    }
    const rollbackMarks = replicas.map((replica) => replica.lineCount);
    const client = await pool.connect();
    let restored: number;
    try {
      restored = await rollbackDataset(client, 'county');
    } finally {
      client.release();
    }
    await Promise.all(replicas.map((replica, i) => replica.logged((line) => line.msg === 'tileset catalog rebuilt' && JSON.stringify(line.tilesets).includes(`county@v${restored}`), rollbackMarks[i])));
    for (const replica of replicas) {
      expect((await rawGet(replica.baseUrl + COUNTY_TILE)).body, replica.baseUrl).to.deep.equal(before);
    }
  });
});

async function metricsText(server: ServerProcess): Promise<string> {
  return (await rawGet(`${server.baseUrl}/metrics`)).body.toString('utf8');
}
