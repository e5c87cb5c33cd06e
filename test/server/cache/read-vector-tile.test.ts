import { expect } from 'chai';
import { gunzipSync } from 'node:zlib';
import { WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import { createApp } from '../../../server/app.js';
import { createTileCache } from '../../../server/cache/create-tile-cache.js';
import { readVectorTile } from '../../../server/cache/read-vector-tile.js';
import { VectorTileKeys } from '../../../server/cache/vector-tile-keys.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { listen, rawGet } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';
import { RecordingObserver } from './recording.js';

describe('readVectorTile (seeding and offline packages read tiles through the cache)', () => {
  let catalog: TilesetCatalog;

  before(async () => {
    const { config, pool } = sampleFixture();
    catalog = await loadTilesetCatalog(pool, config, silentLogger);
  });

  it('computes a tile once, caches it, and the tile route then serves it as a memory hit with the same bytes', async () => {
    const { config, pool } = sampleFixture();
    const observer = new RecordingObserver();
    const tileCache = createTileCache({ ...config.cache, shared: 'none' }, { logger: silentLogger, observer });
    const serving = { tileCache, tileKeys: new VectorTileKeys(config), gzipLevel: config.cache.gzipLevel };
    const seeded = await readVectorTile(serving, catalog, 'county', WebMercatorQuad, { z: 8, x: 210, y: 99 });
    expect(await readVectorTile(serving, catalog, 'county', WebMercatorQuad, { z: 8, x: 210, y: 99 })).to.equal(seeded);
    expect(observer.computedCount).to.equal(1);
    const server = await listen(createApp({ config, pool, logger: silentLogger, catalog: () => catalog, tileCache }));
    try {
      const response = await rawGet(`${server.baseUrl}/tiles/county/8/210/99.mvt`, { 'Accept-Encoding': 'gzip' });
      expect(response.status).to.equal(200);
      expect(gunzipSync(response.body)).to.deep.equal(gunzipSync(seeded.body!));
      expect(observer.computedCount).to.equal(1);
    } finally {
      await server.close();
      await tileCache.close();
    }
  });

  it('refuses a zoom outside the tileset and an unknown tileset (NotFoundError)', async () => {
    const { config } = sampleFixture();
    const serving = { tileCache: createTileCache({ ...config.cache, shared: 'none' }, { logger: silentLogger, observer: new RecordingObserver() }), tileKeys: new VectorTileKeys(config), gzipLevel: 6 };
    for (const [tileset, z] of [['landuse', 5], ['roads', 12]] as const) {
      await readVectorTile(serving, catalog, tileset, WebMercatorQuad, { z, x: 0, y: 0 }).then(
        () => expect.fail(`${tileset} z${z} should be refused`),
        (error: Error) => expect(error.name).to.equal('NotFoundError'),
      );
    }
  });
});
