import { expect } from 'chai';
import { NotFoundError } from '../../../core/errors.js';
import { tileAtPoint, WebMercatorQuad, type TileCoord, type TileMatrixSet } from '../../../core/grid/tile-matrix-set.js';
import { decodeTileBody } from '../../../server/cache/cached-tile.js';
import { MemoryTier } from '../../../server/cache/memory-tier.js';
import { readVectorTile } from '../../../server/cache/read-vector-tile.js';
import { NO_CACHE_OBSERVER } from '../../../server/cache/tile-cache.js';
import { TieredTileCache } from '../../../server/cache/tiered-tile-cache.js';
import { VectorTileKeys } from '../../../server/cache/vector-tile-keys.js';
import { CachedRasterTiles } from '../../../server/render/cached-raster-tiles.js';
import type { RasterOptions, RasterTileService } from '../../../server/render/raster-tile-service.js';
import { StyleRasterRenderer } from '../../../server/render/style-raster-renderer.js';
import type { TilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { createRasterFixture, GRID_SOUTH, GRID_WEST, type RasterFixture } from './raster-fixture.js';
import { gridPoint } from './raster-images.js';

const PNG: RasterOptions = { scale: 1, format: 'png' };

function tileAt(grid: TileMatrixSet, z: number, lon: number, lat: number): TileCoord {
  const [x, y] = gridPoint(grid, lon, lat);
  return tileAtPoint(grid, z, x, y);
}

/** The same catalog, but serving `tilesetId` at another live version (as after a publish). */
function withVersion(catalog: TilesetCatalog, tilesetId: string, dataVersion: number): TilesetCatalog {
  const bumped = Object.create(catalog) as TilesetCatalog & { list: TilesetCatalog['list'] };
  bumped.list = () =>
    catalog.list().map((layer) => {
      if (layer.id !== tilesetId) return layer;
      // The layer itself (its tile source), seen with another live version.
      return Object.assign(Object.create(layer) as typeof layer, { info: { ...layer.info, dataVersion } });
    });
  return bumped;
}

describe('raster tiles through the tile cache (server/render/cached-raster-tiles)', function () {
  this.timeout(120_000);
  let fixture: RasterFixture;
  let tileCache: TieredTileCache;
  let tileKeys: VectorTileKeys;
  let current: TilesetCatalog;
  let renders: number;
  let vectorReads: number;
  let raster: CachedRasterTiles;
  /** The catalog each render was told to draw from, and a hook that runs as a render starts. */
  let drawnFrom: (TilesetCatalog | undefined)[];
  let duringRender: (() => void) | undefined;
  const tile = () => tileAt(WebMercatorQuad, 15, GRID_WEST + 0.01, GRID_SOUTH + 0.01);

  before(async () => {
    fixture = await createRasterFixture('cachedraster');
  });
  after(async () => {
    await fixture?.close();
  });

  beforeEach(() => {
    tileCache = new TieredTileCache({ memory: new MemoryTier(64 * 1024 * 1024), shared: [], observer: NO_CACHE_OBSERVER });
    tileKeys = new VectorTileKeys(fixture.config);
    current = fixture.catalog;
    renders = 0;
    vectorReads = 0;
    drawnFrom = [];
    duringRender = undefined;
    const cacheReads = { tileCache, tileKeys, gzipLevel: 6 };
    const renderer = new StyleRasterRenderer({
      styles: fixture.styles,
      catalog: () => current,
      vectorTile: async (catalog, tilesetId, grid, at, signal) => {
        vectorReads++;
        return decodeTileBody(await readVectorTile(cacheReads, catalog, tilesetId, grid, at, signal));
      },
    });
    const counting: RasterTileService = {
      render: (...args) => {
        renders++;
        drawnFrom.push(args[3].catalog);
        duringRender?.();
        return renderer.render(...args);
      },
    };
    raster = new CachedRasterTiles({ renderer: counting, tileCache, tileKeys, styles: fixture.styles, catalog: () => current });
  });

  it('renders a tile once and answers the same image from the cache afterwards', async () => {
    const first = await raster.render('landuse', tile(), WebMercatorQuad, PNG);
    const second = await raster.render('landuse', tile(), WebMercatorQuad, PNG);
    expect(renders).to.equal(1);
    expect(second.equals(first)).to.equal(true);
    expect(first.subarray(1, 4).toString('latin1')).to.equal('PNG');
  });

  it('keeps formats and scales apart', async () => {
    await raster.render('landuse', tile(), WebMercatorQuad, PNG);
    const webp = await raster.render('landuse', tile(), WebMercatorQuad, { scale: 1, format: 'webp' });
    const retina = await raster.render('landuse', tile(), WebMercatorQuad, { scale: 2, format: 'png' });
    expect(renders).to.equal(3);
    expect(webp.subarray(8, 12).toString('latin1')).to.equal('WEBP');
    expect(retina.readUInt32BE(16)).to.equal(512);
  });

  it('renders again once a dataset the style draws from has a new live version', async () => {
    await raster.render('landuse', tile(), WebMercatorQuad, PNG);
    const landuse = current.list().find((layer) => layer.id === 'landuse')!;
    current = withVersion(fixture.catalog, 'landuse', landuse.info.dataVersion + 1);
    await raster.render('landuse', tile(), WebMercatorQuad, PNG);
    expect(renders).to.equal(2);
    // Back at the first version (a rollback), the first image is served again without drawing.
    current = fixture.catalog;
    await raster.render('landuse', tile(), WebMercatorQuad, PNG);
    expect(renders).to.equal(2);
  });

  it('draws from the catalog its key was made from, even when a publish swaps the catalog mid-render', async () => {
    const landuse = current.list().find((layer) => layer.id === 'landuse')!;
    const before = current;
    duringRender = () => {
      current = withVersion(fixture.catalog, 'landuse', landuse.info.dataVersion + 1);
    };
    await raster.render('landuse', tile(), WebMercatorQuad, PNG);
    expect(drawnFrom).to.have.length(1);
    expect(drawnFrom[0]).to.equal(before);
    // Back at the version the key named (a rollback): the image is a hit, and it was drawn from that version.
    duringRender = undefined;
    current = before;
    await raster.render('landuse', tile(), WebMercatorQuad, PNG);
    expect(renders).to.equal(1);
  });

  it('reads the vector tiles through the same cache as /tiles, so a second style reuses them', async () => {
    await raster.render('landuse', tile(), WebMercatorQuad, PNG);
    const readsForFirst = vectorReads;
    expect(readsForFirst).to.be.greaterThan(0);
    const { layers } = current.resolve('landuse');
    expect(await tileCache.has(tileKeys.keyFor('landuse', layers, WebMercatorQuad, tile()))).to.equal(true);
  });

  it('refuses a tile outside the grid or the style zoom range before touching the cache', async () => {
    const outside = { z: 3, x: 8, y: 0 };
    let refusal: unknown;
    try {
      await raster.render('landuse', outside, WebMercatorQuad, PNG);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).to.be.instanceOf(NotFoundError);
    expect(renders).to.equal(0);
    let unknownStyle: unknown;
    try {
      await raster.render('no_such_style', tile(), WebMercatorQuad, PNG);
    } catch (error) {
      unknownStyle = error;
    }
    expect(unknownStyle).to.be.instanceOf(NotFoundError);
  });
});
