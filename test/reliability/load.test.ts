import { expect } from 'chai';
import { sampleFixture } from '../support/sample-fixture.js';
import { makeCallerTokens, type CallerTokens } from '../server/access/access-test-server.js';
import { formatLoad, runLoad } from './load-driver.js';
import { runSeed } from './seeded-random.js';
import { reliabilityTilePaths } from './tile-paths.js';
import { reliabilityServer } from './reliability-server.js';

/**
 * Load, CI variant: 64 concurrent clients for 5 s on a mix of cached and uncached tiles of an
 * internal tileset (every request verifies its token, through the token cache, and is counted
 * for the audit trail). The full run (64 x 60 s) is `npm run bench:reliability`
 * (bench/reliability-load.ts). Figures are printed, not asserted (no timed assertions in tests).
 */
describe('reliability: load (CI variant)', function () {
  this.timeout(120_000);
  let tokens: CallerTokens;
  const suite = reliabilityServer('reliability-load', { landuse: 'internal' }, async (pool) => {
    tokens = await makeCallerTokens(pool);
  });

  it('serves 64 clients for 5 s with no error', async () => {
    const { server } = suite;
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
