import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import { generateSample } from '../../pipeline/sample/generate-sample.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from './test-database.js';

/**
 * The shared fixture of the suite: a test database holding the Liaocheng sample made by the
 * project's own generator (`pipeline/sample`) with a small parcel count, so tiles hold a
 * realistic mix of parcels. Made once per run by the root hooks; read-only for tests.
 */
export const FIXTURE_PARCELS = 4000;

export interface SampleFixture {
  readonly database: TestDatabase;
  readonly config: AppConfig;
  readonly pool: Pool;
}

let fixture: SampleFixture | undefined;

export async function setUpSampleFixture(): Promise<void> {
  const database = await createTestDatabase('sample');
  const config = testConfig(database.url);
  const pool = await openMigratedPool(config);
  await generateSample(pool, config, { parcels: FIXTURE_PARCELS, seed: 'test' }, silentLogger);
  fixture = { database, config, pool };
}

export async function tearDownSampleFixture(): Promise<void> {
  if (!fixture) return;
  await fixture.pool.end();
  await fixture.database.drop();
  fixture = undefined;
}

export function sampleFixture(): SampleFixture {
  if (!fixture) throw new Error('the sample fixture is made by test/setup/root-hooks.ts; run the suite with mocha');
  return fixture;
}
