import { expect } from 'chai';
import { createAuthenticator } from '../../../core/auth/authenticator.js';
import { ImportJobRunner } from '../../../pipeline/jobs/import-job-runner.js';
import { createAdminRouter } from '../../../server/admin/admin-router.js';
import { createApp } from '../../../server/app.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { jsonBody, listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';

const BOOTSTRAP = 'app-mount-bootstrap-token-0123';

describe('the admin API in the application (server/app.ts)', () => {
  let server: RunningServer;
  let runner: ImportJobRunner;

  before(async () => {
    const { config, pool } = sampleFixture();
    const catalog = await loadTilesetCatalog(pool, config, silentLogger);
    runner = new ImportJobRunner({ pool, config, logger: silentLogger });
    const admin = createAdminRouter({ config, pool, logger: silentLogger, runner, authenticator: createAuthenticator({ pool, logger: silentLogger, bootstrapToken: BOOTSTRAP }) });
    server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog, admin }));
  });

  after(async () => {
    await runner.close();
    await server.close();
  });

  it('is mounted at /admin behind the token check, next to the public routes', async () => {
    const refused = await rawGet(`${server.baseUrl}/admin/jobs`);
    expect(refused.status).to.equal(401);
    expect(refused.headers['www-authenticate']).to.equal('Bearer realm="planmap"');
    const datasets = await rawGet(`${server.baseUrl}/admin/datasets`, { Authorization: `Bearer ${BOOTSTRAP}` });
    expect(datasets.status).to.equal(200);
    const body = jsonBody<{ datasets: { id: string; liveVersion: number | null; versions: { status: string }[] }[] }>(datasets);
    const landuse = body.datasets.find((dataset) => dataset.id === 'landuse')!;
    expect(landuse.liveVersion).to.be.a('number');
    expect(landuse.versions.filter((version) => version.status === 'live')).to.have.length(1);
    expect((await rawGet(`${server.baseUrl}/health`)).status).to.equal(200);
    expect((await rawGet(`${server.baseUrl}/admin-not-really`)).status).to.equal(404);
  });
});
