import { expect } from 'chai';
import { CGCS2000Quad, tileAtPoint, WebMercatorQuad, type TileMatrixSet } from '../../../core/grid/tile-matrix-set.js';
import type { RasterFormat } from '../../../server/render/raster-tile-service.js';
import { RenderPool } from '../../../server/render/render-pool.js';
import { StyleRasterRenderer } from '../../../server/render/style-raster-renderer.js';
import { CELL_HEIGHT, CELL_WIDTH, createRasterFixture, GRID_SOUTH, GRID_WEST, type RasterFixture } from './raster-fixture.js';
import { compareImages, decodePixels, gridPoint } from './raster-images.js';

describe('RenderPool (raster tiles drawn in worker threads)', () => {
  let fixture: RasterFixture;
  let pool: RenderPool;
  let pooled: StyleRasterRenderer;
  before(async () => {
    fixture = await createRasterFixture('raster_pool');
    pool = new RenderPool({ styles: fixture.styles.list(), workerCount: 2 });
    pooled = new StyleRasterRenderer({ styles: fixture.styles, catalog: () => fixture.catalog, drawing: pool });
  });
  after(async () => {
    await pool?.close();
    await fixture?.close();
  });

  const tileOf = (grid: TileMatrixSet, z: number) => tileAtPoint(grid, z, ...gridPoint(grid, GRID_WEST + 2 * CELL_WIDTH, GRID_SOUTH + 1.5 * CELL_HEIGHT));

  describe('given the tiles of the golden images, in every format', () => {
    const cases: { style: string; grid: TileMatrixSet; z: number; scale: 1 | 2; format: RasterFormat }[] = [
      { style: 'landuse', grid: WebMercatorQuad, z: 14, scale: 1, format: 'png' },
      { style: 'landuse', grid: WebMercatorQuad, z: 15, scale: 2, format: 'png' },
      { style: 'landuse', grid: CGCS2000Quad, z: 14, scale: 1, format: 'webp' },
      { style: 'planning', grid: WebMercatorQuad, z: 15, scale: 1, format: 'jpg' },
    ];
    for (const { style, grid, z, scale, format } of cases) {
      it(`draws ${style} ${grid.id} z${z}${scale === 2 ? '@2x' : ''} ${format} as the renderer does in its own thread`, async () => {
        const tile = tileOf(grid, z);
        const options = { scale, format } as const;
        const [inThread, inWorker] = await Promise.all([fixture.renderer.render(style, tile, grid, options), pooled.render(style, tile, grid, options)]);
        // Same code, same Skia: PNG is byte for byte the same; lossy formats are compared as pixels.
        if (format === 'png') expect(inWorker.equals(inThread)).to.equal(true);
        const difference = compareImages(await decodePixels(inWorker), await decodePixels(inThread), 2);
        expect(difference.mismatched).to.equal(0);
      });
    }
  });

  describe('given many tiles at once', () => {
    it('draws every one, whichever worker takes it', async () => {
      const tile = tileOf(WebMercatorQuad, 16);
      const expected = await fixture.renderer.render('landuse', tile, WebMercatorQuad, { scale: 1, format: 'png' });
      const images = await Promise.all(Array.from({ length: 24 }, () => pooled.render('landuse', tile, WebMercatorQuad, { scale: 1, format: 'png' })));
      for (const image of images) expect(image.equals(expected)).to.equal(true);
    });
  });

  describe('given a request a worker cannot draw', () => {
    it('rejects that request only, and the pool keeps drawing', async () => {
      const request = { styleId: 'no-such-style', size: 256, zoom: 15, pixelRatio: 1, format: 'png' as const, sources: [] };
      await pool.draw(request).then(
        () => expect.fail('drew an unknown style'),
        (error: Error) => expect(error.message).to.match(/no style "no-such-style"/),
      );
      const image = await pooled.render('landuse', tileOf(WebMercatorQuad, 16), WebMercatorQuad, { scale: 1, format: 'png' });
      expect(image.length).to.be.greaterThan(0);
    });
  });

  describe('once closed', () => {
    it('rejects draws', async () => {
      const closing = new RenderPool({ styles: fixture.styles.list(), workerCount: 1 });
      await closing.close();
      await closing.draw({ styleId: 'landuse', size: 256, zoom: 15, pixelRatio: 1, format: 'png', sources: [] }).then(
        () => expect.fail('drew after close'),
        (error: Error) => expect(error.message).to.match(/closed/),
      );
    });
  });

  describe('given a worker count that is not a whole number of at least 1', () => {
    it('throws, naming the option', () => {
      expect(() => new RenderPool({ styles: [], workerCount: 0 })).to.throw(/workerCount/);
    });
  });
});
