import { expect } from 'chai';
import { ConfigError, NotFoundError } from '../../../core/errors.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig } from '../../support/test-database.js';

type RawTileset = Record<string, unknown>;

describe('loadTilesetCatalog', () => {
  describe('given a tileset that exposes a column the live data lacks', () => {
    it('refuses to start, naming the tileset, the property and the dataset', async () => {
      const { config, pool } = sampleFixture();
      const broken = testConfig(config.databaseUrl, (raw) => {
        const tilesets = raw.tilesets as RawTileset[];
        tilesets[1]!.properties = ['XZQDM', 'NOT_THERE'];
      });
      let error: unknown;
      try {
        await loadTilesetCatalog(pool, broken, silentLogger);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(/tilesets\[1\]\.properties\[1\]: column "NOT_THERE" is not in the live data of dataset "county"/);
    });
  });

  describe('given a tileset whose id column is not an integer', () => {
    it('refuses to start, naming idColumn', async () => {
      const { config, pool } = sampleFixture();
      const broken = testConfig(config.databaseUrl, (raw) => {
        (raw.tilesets as RawTileset[])[1]!.idColumn = 'XZQMC';
        (raw.tilesets as RawTileset[])[1]!.properties = ['XZQDM'];
      });
      let message = '';
      await loadTilesetCatalog(pool, broken, silentLogger).catch((error: Error) => (message = error.message));
      expect(message).to.match(/tilesets\[1\]\.idColumn: column "XZQMC" of dataset "county" is text, expected an integer/);
    });
  });

  describe('given a database where nothing is published yet', () => {
    it('serves no tileset and says why a tileset is missing', async () => {
      const database = await createTestDatabase('empty');
      const config = testConfig(database.url);
      const pool = await openMigratedPool(config);
      try {
        const catalog = await loadTilesetCatalog(pool, config, silentLogger);
        expect(catalog.list()).to.deep.equal([]);
        expect(() => catalog.resolve('landuse')).to.throw(NotFoundError, /"landuse" has no published data yet/);
      } finally {
        await pool.end();
        await database.drop();
      }
    });
  });
});
