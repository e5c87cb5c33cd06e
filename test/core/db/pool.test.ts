import { expect } from 'chai';
import { createPool } from '../../../core/db/pool.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';

describe('createPool (core/db/pool)', () => {
  describe('given the database settings of the configuration', () => {
    it('opens every connection with the statement deadline and the plan cache mode', async () => {
      const { config } = sampleFixture();
      const pool = createPool({
        url: config.databaseUrl,
        database: { ...config.database, statementTimeoutMs: 1234, planCacheMode: 'force_custom_plan' },
        applicationName: 'planmap-pool-test',
        logger: silentLogger,
      });
      try {
        const { rows } = await pool.query<{ timeout: string; mode: string; name: string }>(
          `SELECT current_setting('statement_timeout') AS timeout, current_setting('plan_cache_mode') AS mode,
                  current_setting('application_name') AS name`,
        );
        expect(rows[0]).to.deep.equal({ timeout: '1234ms', mode: 'force_custom_plan', name: 'planmap-pool-test' });
      } finally {
        await pool.end();
      }
    });
  });
});
