import { expect } from 'chai';
import { createPool, type Pool } from '../../../core/db/pool.js';
import { createApp } from '../../../server/app.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { silentLogger } from '../../support/test-database.js';

/**
 * database.replicaUrl: the catalog is read from the primary, tile statements run on the tile
 * pool. The "replica" here is the same database behind a relay, so cutting the relay shows which
 * pool each query uses.
 */
describe('a tile pool apart from the primary (database.replicaUrl)', () => {
  let proxy: TcpProxy;
  let tilePool: Pool;
  let server: RunningServer;
  const tile = '/tiles/county/8/210/99.mvt';

  before(async () => {
    const { config, pool } = sampleFixture();
    const target = new URL(config.databaseUrl);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(config.databaseUrl);
    viaProxy.port = String(proxy.port);
    tilePool = createPool({ url: viaProxy.toString(), database: { ...config.database, connectTimeoutMs: 1000 }, applicationName: 'planmap-replica-test', logger: silentLogger });
    const catalog = await loadTilesetCatalog(pool, config, silentLogger, undefined, tilePool);
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog }));
  });

  after(async () => {
    await server.close();
    await proxy.stop();
    await tilePool.end();
  });

  it('runs tile statements on the tile pool', async () => {
    expect((await rawGet(server.baseUrl + tile)).status).to.equal(200);
    expect(tilePool.totalCount).to.be.greaterThan(0);
  });

  it('answers 503 for tiles when the tile pool is cut, while the primary still answers /ready', async () => {
    await proxy.stop();
    expect((await rawGet(server.baseUrl + tile)).status).to.equal(503);
    expect((await rawGet(`${server.baseUrl}/ready`)).status).to.equal(200);
    await proxy.start();
    expect((await rawGet(server.baseUrl + tile)).status).to.equal(200);
  });
});
