import { expect } from 'chai';
import type { Pool } from '../../../core/db/pool.js';
import { CGCS2000Quad, tileAtPoint } from '../../../core/grid/tile-matrix-set.js';
import { rawGet } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { poolBehindProxy, TcpProxy } from '../../support/tcp-proxy.js';
import { silentLogger } from '../../support/test-database.js';
import { knownParcels } from './known-parcels.js';
import { parseExceptionReport } from './read-xml.js';
import { startWmtsTestServer, type WmtsTestServer } from './wmts-test-server.js';

describe('WMTS GetTile when the database goes away and comes back', () => {
  let proxy: TcpProxy;
  let pool: Pool;
  let server: WmtsTestServer;
  let tilePath: string;
  /** Tiles never asked for before the outage, so no cache can answer them. */
  let unseenTilePaths: string[];

  before(async () => {
    const { config } = sampleFixture();
    ({ proxy, pool: pool } = await poolBehindProxy(config, 'planmap-wmts-outage-test'));
    server = await startWmtsTestServer({ pool });
    const [parcel] = await knownParcels(sampleFixture().pool, 1, 30);
    const tile = tileAtPoint(CGCS2000Quad, 13, parcel!.lon, parcel!.lat);
    tilePath = `/wmts/1.0.0/landuse/default/CGCS2000Quad/13/${tile.y}/${tile.x}.png`;
    const unseen = tileAtPoint(CGCS2000Quad, 14, parcel!.lon, parcel!.lat);
    unseenTilePaths = ['png', 'jpg'].map((extension) => `/wmts/1.0.0/landuse/default/CGCS2000Quad/14/${unseen.y}/${unseen.x}.${extension}`);
  });

  after(async () => {
    await server.close();
    await proxy.stop();
    await pool.end();
  });

  it('answers the tile while the database is up', async () => {
    expect((await rawGet(server.baseUrl + tilePath)).status).to.equal(200);
  });

  it('answers 503 with a NoApplicableCode ExceptionReport while it is down, never a blank tile', async () => {
    await proxy.stop();
    for (const path of unseenTilePaths) {
      const response = await rawGet(server.baseUrl + path);
      expect(response.status).to.equal(503);
      expect(response.headers['content-type']).to.equal('application/xml; charset=utf-8');
      const [exception] = parseExceptionReport(response.body.toString('utf8'));
      expect(exception!.code).to.equal('NoApplicableCode');
      expect(exception!.text).to.match(/database/i);
    }
  });

  it('serves the capabilities meanwhile (they need no database) and the tile again once it is back', async () => {
    expect((await rawGet(`${server.baseUrl}/wmts/1.0.0/WMTSCapabilities.xml`)).status).to.equal(200);
    await proxy.start();
    const response = await rawGet(server.baseUrl + tilePath);
    expect(response.status).to.equal(200);
    expect(response.headers['content-type']).to.equal('image/png');
  });
});
