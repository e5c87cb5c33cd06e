import { expect } from 'chai';
import { CGCS2000Quad, WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import { VectorTileKeys } from '../../../server/cache/vector-tile-keys.js';
import { VectorTilePlans } from '../../../server/routes/vector-tile-plans.js';
import { loadTilesetCatalog, type TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { silentLogger } from '../../support/test-database.js';

describe('vector tile plans (server/routes/vector-tile-plans.ts)', () => {
  let catalog: TilesetCatalog;
  let keys: VectorTileKeys;

  before(async () => {
    const { config, pool } = sampleFixture();
    catalog = await loadTilesetCatalog(pool, config, silentLogger);
    keys = new VectorTileKeys(config);
  });

  it('make exactly the keys buildTileKey makes, in both grids, for single and composite tilesets', () => {
    const plans = new VectorTilePlans({ tileKeys: keys });
    for (const tilesetId of ['landuse', 'county', 'landuse,county', 'county,landuse']) {
      const plan = plans.planFor(catalog, tilesetId);
      for (const grid of [WebMercatorQuad, CGCS2000Quad]) {
        const tile = { z: 14, x: 13470, y: 6386 };
        const expected = keys.keyFor(tilesetId, catalog.resolve(tilesetId).layers, grid, tile);
        expect(plan.keyFor(grid, tile)).to.deep.equal(expected);
        expect(plan.keyIdFor(grid, tile)).to.equal(expected.id);
      }
    }
  });

  it('are made once per catalog and afresh for a rebuilt one (a publish)', async () => {
    const plans = new VectorTilePlans({ tileKeys: keys });
    expect(plans.planFor(catalog, 'landuse')).to.equal(plans.planFor(catalog, 'landuse'));
    const rebuilt = await loadTilesetCatalog(sampleFixture().pool, sampleFixture().config, silentLogger);
    expect(plans.planFor(rebuilt, 'landuse')).to.not.equal(plans.planFor(catalog, 'landuse'));
  });

  it('refuse what the catalog refuses, and remember nothing of it', () => {
    const plans = new VectorTilePlans({ tileKeys: keys });
    expect(() => plans.planFor(catalog, 'nosuch')).to.throw(/unknown tileset "nosuch"/);
    expect(() => plans.planFor(catalog, 'landuse,landuse')).to.throw(/listed twice/);
  });
});
