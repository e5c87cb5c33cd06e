import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { CGCS2000Quad, tileAtPoint, WebMercatorQuad, type TileMatrixSet } from '../../../core/grid/tile-matrix-set.js';
import { CELL_HEIGHT, CELL_WIDTH, createRasterFixture, GRID_SOUTH, GRID_WEST, type RasterFixture } from './raster-fixture.js';
import { compareImages, decodePixels, gridPoint } from './raster-images.js';

/**
 * Golden images: tiles of the raster fixture rendered once, looked at, and committed in golden/.
 * `UPDATE_GOLDENS=1 npx mocha test/server/render/golden-tiles.test.ts` renders them anew (after
 * a deliberate change to a style or the renderer; look at the diff before committing).
 *
 * Tolerance: antialiased edges may shift by a level or two between Skia builds, so a pixel
 * matches within 8 levels per channel, and 0.5 % of the pixels may differ more (edge pixels);
 * a wrong colour, a missing layer or a moved outline changes far more than that.
 */
const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const CHANNEL_TOLERANCE = 8;
const MISMATCH_SHARE = 0.005;
const isUpdating = process.env.UPDATE_GOLDENS === '1';

interface GoldenCase {
  readonly style: string;
  readonly grid: TileMatrixSet;
  readonly z: number;
  readonly scale: 1 | 2;
}

const CASES: readonly GoldenCase[] = [
  { style: 'landuse', grid: WebMercatorQuad, z: 14, scale: 1 },
  { style: 'landuse', grid: WebMercatorQuad, z: 16, scale: 1 },
  { style: 'landuse', grid: WebMercatorQuad, z: 15, scale: 2 },
  { style: 'landuse', grid: CGCS2000Quad, z: 14, scale: 1 },
  { style: 'planning', grid: WebMercatorQuad, z: 15, scale: 1 },
  { style: 'planning', grid: CGCS2000Quad, z: 15, scale: 2 },
];

describe('raster tiles against golden images', () => {
  let fixture: RasterFixture;
  before(async () => {
    fixture = await createRasterFixture('raster_golden');
  });
  after(async () => {
    await fixture?.close();
  });

  for (const { style, grid, z, scale } of CASES) {
    // The tile holding the middle of the fixture's parcels.
    const tile = tileAtPoint(grid, z, ...gridPoint(grid, GRID_WEST + 2 * CELL_WIDTH, GRID_SOUTH + 1.5 * CELL_HEIGHT));
    const name = `${style}-${grid.id}-${tile.z}-${tile.x}-${tile.y}${scale === 2 ? '@2x' : ''}.png`;

    it(`renders ${name} as the golden image`, async () => {
      const image = await fixture.renderer.render(style, tile, grid, { scale, format: 'png' });
      const file = join(GOLDEN_DIR, name);
      if (isUpdating || !existsSync(file)) {
        if (!isUpdating) throw new Error(`no golden image ${file}: run with UPDATE_GOLDENS=1 to make it`);
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, image);
        return;
      }
      const difference = compareImages(await decodePixels(image), await decodePixels(readFileSync(file)), CHANNEL_TOLERANCE);
      expect(difference.mismatched / difference.total, `${difference.mismatched} pixels differ; first ${JSON.stringify(difference.first)}`)
        .to.be.at.most(MISMATCH_SHARE);
    });
  }
});
