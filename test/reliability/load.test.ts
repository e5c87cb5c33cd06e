import { expect } from 'chai';
import type { Pool } from '../../core/db/pool.js';
import { sampleFixture } from '../support/sample-fixture.js';
import { createTestDatabase, openMigratedPool, testConfig, type TestDatabase } from '../support/test-database.js';
import { makeCallerTokens, startAccessServer, type AccessServer, type CallerTokens } from '../server/access/access-test-server.js';
import { formatLoad, runLoad } from './load-driver.js';
import { runSeed } from './seeded-random.js';
import { reliabilityTilePaths } from './tile-paths.js';

/**
 * Load, CI variant: 64 concurrent clients for 5 s on a mix of cached and uncached tiles of an
 * internal tileset (every request verifies its token, through the token cache, and is counted
 * for the audit trail). The full run (64 x 60 s) is `npm run bench:reliability`
 * (bench/reliability-load.ts). Figures are printed, not asserted (no timed assertions in tests).
 */
describe('reliability: load (CI variant)', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let pool: Pool;
  let tokens: CallerTokens;
  let server: AccessServer;

  before(async () => {
    database = await createTestDatabase('reliability-load');
    pool = await openMigratedPool(testConfig(database.url));
    tokens = await makeCallerTokens(pool);
    server = await startAccessServer(pool, database.url, {
      tilesetLevels: { landuse: 'internal' },
      memoryCache: true,
      adjustAccess: (access) => {
        access.rateLimits = { enabled: false };
      },
    });
  });

  after(async () => {
    await server?.close();
    await pool?.end();
    await database?.drop();
  });

  it('serves 64 clients for 5 s with no error', async () => {
    const paths = await reliabilityTilePaths(sampleFixture().pool, 60);
    const seed = runSeed();
    const result = await runLoad({
      baseUrl: server.baseUrl, paths, hotCount: 40, hotShare: 0.7, clients: 64, durationMs: 5000, seed,
      headers: { Authorization: `Bearer ${tokens.viewerUngranted}` },
    });
    console.log(`      ${formatLoad(`load 64 x 5 s, ${paths.length} tiles, seed ${seed}`, result)}`);
    expect(result.errorSamples).to.deep.equal([]);
    expect(result.errors).to.equal(0);
    expect(result.requests).to.be.greaterThan(64);
    expect(server.cacheCounts.hits, 'hot tiles were served from the cache').to.be.greaterThan(0);
  });
});
