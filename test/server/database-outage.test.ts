import { expect } from 'chai';
import type { Pool } from '../../core/db/pool.js';
import { createApp } from '../../server/app.js';
import { loadTilesetCatalog } from '../../server/sources/tileset-catalog.js';
import { jsonBody, listen, rawGet, type RunningServer } from '../support/http-server.js';
import { sampleFixture } from '../support/sample-fixture.js';
import { poolBehindProxy, TcpProxy } from '../support/tcp-proxy.js';
import { silentLogger } from '../support/test-database.js';

describe('when the database goes away and comes back', () => {
  let proxy: TcpProxy;
  let pool: Pool;
  let server: RunningServer;
  const tile = '/tiles/county/8/210/99.mvt';

  before(async () => {
    const { config } = sampleFixture();
    ({ proxy, pool: pool } = await poolBehindProxy(config, 'planmap-outage-test'));
    const catalog = await loadTilesetCatalog(pool, config, silentLogger);
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog }));
  });

  after(async () => {
    await server.close();
    await proxy.stop();
    await pool.end();
  });

  it('serves tiles and is ready while the database is up', async () => {
    expect((await rawGet(server.baseUrl + '/ready')).status).to.equal(200);
    expect((await rawGet(server.baseUrl + tile)).status).to.equal(200);
  });

  it('answers 503 on /ready and on tiles while it is down, and stays alive', async () => {
    await proxy.stop();
    const ready = await rawGet(server.baseUrl + '/ready');
    expect(ready.status).to.equal(503);
    expect(jsonBody(ready)).to.deep.equal({ status: 'unavailable', database: 'unreachable' });
    for (let i = 0; i < 3; i++) {
      const response = await rawGet(server.baseUrl + tile);
      expect(response.status).to.equal(503);
      expect(jsonBody<{ error: string }>(response).error).to.equal('database_unavailable');
    }
    expect((await rawGet(server.baseUrl + '/health')).status).to.equal(200);
  });

  it('recovers by itself when the database is back', async () => {
    await proxy.start();
    expect((await rawGet(server.baseUrl + '/ready')).status).to.equal(200);
    const response = await rawGet(server.baseUrl + tile);
    expect(response.status).to.equal(200);
    expect(response.headers['content-type']).to.equal('application/vnd.mapbox-vector-tile');
  });
});
