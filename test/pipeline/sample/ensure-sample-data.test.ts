import { expect } from 'chai';
import { ConfigError } from '../../../core/errors.js';
import { ensureSampleData, sampleParcelsFromEnv, DEFAULT_SAMPLE_PARCELS } from '../../../pipeline/sample/ensure-sample-data.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig } from '../../support/test-database.js';

describe('ensureSampleData (what npm start does on an empty database)', () => {
  describe('given an empty database', () => {
    it('publishes the sample once, and leaves a database with data alone', async () => {
      const database = await createTestDatabase('ensure_sample');
      const config = testConfig(database.url);
      const pool = await openMigratedPool(config);
      try {
        expect(await ensureSampleData(pool, config, silentLogger, 200)).to.equal(true);
        expect(await ensureSampleData(pool, config, silentLogger, 200)).to.equal(false);
        const { rows } = await pool.query('SELECT dataset_id, version, status FROM meta.dataset_versions ORDER BY 1');
        expect(rows).to.deep.equal([
          { dataset_id: 'county', version: 1, status: 'live' },
          { dataset_id: 'landuse', version: 1, status: 'live' },
        ]);
      } finally {
        await pool.end();
        await database.drop();
      }
    });
  });

  describe('given a configuration without the sample datasets', () => {
    it('loads nothing', async () => {
      const database = await createTestDatabase('ensure_sample_none');
      const config = testConfig(database.url, (raw) => {
        raw.datasets = [{ id: 'plans', title: 'plans', kind: 'planning_zone' }];
        raw.tilesets = [];
      });
      const pool = await openMigratedPool(config);
      try {
        expect(await ensureSampleData(pool, config, silentLogger, 200)).to.equal(false);
        const { rows } = await pool.query('SELECT count(*)::int AS count FROM meta.dataset_versions');
        expect(rows[0]).to.deep.equal({ count: 0 });
      } finally {
        await pool.end();
        await database.drop();
      }
    });
  });

  describe('SAMPLE_PARCELS', () => {
    it('defaults when unset and takes a whole number', () => {
      expect(sampleParcelsFromEnv(undefined)).to.equal(DEFAULT_SAMPLE_PARCELS);
      expect(sampleParcelsFromEnv('2000')).to.equal(2000);
    });

    for (const bad of ['abc', '12.5', '-5', '5', '1e4', '9999999']) {
      it(`refuses "${bad}", naming SAMPLE_PARCELS`, () => {
        expect(() => sampleParcelsFromEnv(bad)).to.throw(ConfigError, /^SAMPLE_PARCELS: /);
      });
    }
  });
});
