import { expect } from 'chai';
import express from 'express';
import { createAuthenticator } from '../../../core/auth/authenticator.js';
import type { Pool } from '../../../core/db/pool.js';
import { ImportJobRunner } from '../../../pipeline/jobs/import-job-runner.js';
import { createAdminRouter } from '../../../server/admin/admin-router.js';
import { createErrorMiddleware } from '../../../server/http/error-middleware.js';
import { jsonBody, listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { poolBehindProxy, TcpProxy } from '../../support/tcp-proxy.js';
import { silentLogger } from '../../support/test-database.js';

const BOOTSTRAP = 'outage-bootstrap-token-0123456';

describe('the admin API while the database is away', () => {
  let proxy: TcpProxy;
  let pool: Pool;
  let server: RunningServer;
  let runner: ImportJobRunner;

  before(async () => {
    const { config } = sampleFixture();
    ({ proxy, pool: pool } = await poolBehindProxy(config, 'planmap-admin-outage-test'));
    runner = new ImportJobRunner({ pool, config, logger: silentLogger });
    const app = express();
    app.use('/admin', createAdminRouter({ config, pool, logger: silentLogger, runner, authenticator: createAuthenticator({ pool, logger: silentLogger, bootstrapToken: BOOTSTRAP }) }));
    app.use(createErrorMiddleware(silentLogger));
    server = await listen(app);
  });

  after(async () => {
    await runner.close();
    await server.close();
    await proxy.stop();
    await pool.end();
  });

  it('answers 503 (try again later) for reads and for a database token, not 500', async () => {
    expect((await rawGet(`${server.baseUrl}/admin/jobs`, { Authorization: `Bearer ${BOOTSTRAP}` })).status).to.equal(200);
    await proxy.stop();
    const jobs = await rawGet(`${server.baseUrl}/admin/jobs`, { Authorization: `Bearer ${BOOTSTRAP}` });
    expect(jobs.status).to.equal(503);
    expect(jsonBody(jobs)).to.deep.include({ error: 'database_unavailable' });
    const stored = await rawGet(`${server.baseUrl}/admin/jobs`, { Authorization: `Bearer pm_abcdefghijkl_${'A'.repeat(43)}` });
    expect(stored.status).to.equal(503);
    await proxy.start();
  });
});
