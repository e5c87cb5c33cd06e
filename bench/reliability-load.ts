/**
 * `npm run bench:reliability` (tsx bench/reliability-load.ts [clients] [seconds]): the full load
 * run of the reliability suite, 64 concurrent clients for 60 s by default, on a mix of cached and
 * uncached tiles of an internal tileset (token verified per request through the token cache),
 * against the whole application in this process. Prints requests, errors, p50/p90/p99; exits 1
 * on any error. The CI variant is test/reliability/load.test.ts (64 x 5 s).
 */
import { setUpSampleFixture, sampleFixture, tearDownSampleFixture } from '../test/support/sample-fixture.js';
import { createTestDatabase, openMigratedPool, testConfig } from '../test/support/test-database.js';
import { makeCallerTokens, startAccessServer } from '../test/server/access/access-test-server.js';
import { formatLoad, runLoad } from '../test/reliability/load-driver.js';
import { runSeed } from '../test/reliability/seeded-random.js';
import { reliabilityTilePaths } from '../test/reliability/tile-paths.js';

async function main(): Promise<void> {
  const clients = Number(process.argv[2] ?? 64);
  const seconds = Number(process.argv[3] ?? 60);
  await setUpSampleFixture();
  const database = await createTestDatabase('bench-reliability');
  const pool = await openMigratedPool(testConfig(database.url));
  try {
    const tokens = await makeCallerTokens(pool);
    const server = await startAccessServer(pool, database.url, {
      tilesetLevels: { landuse: 'internal' },
      memoryCache: true,
      adjustAccess: (access) => {
        access.rateLimits = { enabled: false };
      },
    });
    const paths = await reliabilityTilePaths(sampleFixture().pool, 300);
    const seed = runSeed();
    const result = await runLoad({
      baseUrl: server.baseUrl, paths, hotCount: 100, hotShare: 0.7, clients, durationMs: seconds * 1000, seed,
      headers: { Authorization: `Bearer ${tokens.viewerUngranted}` },
    });
    console.log(formatLoad(`load ${clients} clients x ${seconds} s, ${paths.length} distinct tiles (100 hot, 70 % of requests), seed ${seed}`, result));
    if (result.errors > 0) console.log('errors:', result.errorSamples);
    await server.close();
    process.exitCode = result.errors > 0 ? 1 : 0;
  } finally {
    await pool.end();
    await database.drop();
    await tearDownSampleFixture();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
