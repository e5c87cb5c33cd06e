import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { loadSandiaoClasses } from '../../../core/classification/sandiao-classes.js';
import { NotFoundError } from '../../../core/errors.js';
import { CGCS2000Quad, tileAtPoint, WebMercatorQuad, type TileCoord, type TileMatrixSet } from '../../../core/grid/tile-matrix-set.js';
import type { RasterOptions } from '../../../server/render/raster-tile-service.js';
import { StyleRasterRenderer } from '../../../server/render/style-raster-renderer.js';
import { FALLBACK_CLASS_COLOUR } from '../../../server/styles/class-colours.js';
import { loadStyleCatalog } from '../../../server/styles/style-catalog.js';
import { silentLogger } from '../../support/test-database.js';
import { CELL_HEIGHT, CELL_WIDTH, createRasterFixture, GRID_SOUTH, GRID_WEST, PARCELS, type RasterFixture } from './raster-fixture.js';
import { channelDistance, decodePixels, gridPoint, pixelAt, pixelOf, type Pixels } from './raster-images.js';

const PNG: RasterOptions = { scale: 1, format: 'png' };

function hexColour(hex: string): number[] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).concat(255);
}

function tileAt(grid: TileMatrixSet, z: number, lon: number, lat: number): TileCoord {
  const [x, y] = gridPoint(grid, lon, lat);
  return tileAtPoint(grid, z, x, y);
}

/** Share of edge pixel pairs that may differ by more than the tolerance without being a seam. */
const SEAM_SHARE = 0.05;

/**
 * Pixels on either side of a tile edge are neighbours: they differ only where an outline or
 * parcel edge crosses, as neighbouring columns inside one tile do. A seam (an outline along the
 * edge, a cut line, a gap) makes most of them differ. Returns the share of differing pairs
 * (more than 24 levels in a channel) along the east and south edges of the z16 tile in the middle
 * of the fixture, where parcels and outlines cross the edges, and between two inner columns.
 */
async function edgeMismatch(renderer: StyleRasterRenderer, grid: TileMatrixSet) {
  const centre = tileAt(grid, 16, GRID_WEST + 2 * CELL_WIDTH, GRID_SOUTH + 1.5 * CELL_HEIGHT);
  const render = async (tile: TileCoord) => decodePixels(await renderer.render('landuse', tile, grid, PNG));
  const here = await render(centre);
  const east = await render({ ...centre, x: centre.x + 1 });
  const south = await render({ ...centre, y: centre.y + 1 });
  const share = (a: (i: number) => number[], b: (i: number) => number[]) => {
    let mismatched = 0;
    for (let i = 0; i < 256; i++) if (channelDistance(a(i), b(i)) > 24) mismatched += 1;
    return mismatched / 256;
  };
  return {
    here,
    inside: share((i) => pixelAt(here, 127, i), (i) => pixelAt(here, 128, i)),
    acrossEast: share((i) => pixelAt(here, 255, i), (i) => pixelAt(east, 0, i)),
    acrossSouth: share((i) => pixelAt(here, i, 255), (i) => pixelAt(south, i, 0)),
  };
}

describe('StyleRasterRenderer', () => {
  let fixture: RasterFixture;
  const classes = loadSandiaoClasses();

  before(async () => {
    fixture = await createRasterFixture('raster_render');
  });
  after(async () => {
    await fixture?.close();
  });

  async function render(styleId: string, grid: TileMatrixSet, tile: TileCoord, options = PNG): Promise<Pixels> {
    return decodePixels(await fixture.renderer.render(styleId, tile, grid, options));
  }

  for (const grid of [WebMercatorQuad, CGCS2000Quad]) {
    describe(`given the landuse style in ${grid.id}`, () => {
      for (const scale of [1, 2] as const) {
        it(`colours each parcel's interior with its class colour from sandiao_classes.csv (z15${scale === 2 ? ' @2x' : ''})`, async () => {
          for (const parcel of PARCELS) {
            const tile = tileAt(grid, 15, parcel.lon, parcel.lat);
            const pixels = await render('landuse', grid, tile, { scale, format: 'png' });
            const [x, y] = pixelOf(grid, tile, parcel.lon, parcel.lat, 256 * scale);
            const rgb = parcel.code === null ? null : classes.get(parcel.code)?.rgb ?? null;
            const expected = rgb ? [...rgb, 255] : hexColour(FALLBACK_CLASS_COLOUR);
            const actual = pixelAt(pixels, x, y);
            expect(channelDistance(actual, expected), `parcel ${parcel.code ?? 'null'} at ${x.toFixed(0)},${y.toFixed(0)} is ${actual}`).to.be.at.most(1);
          }
        });
      }

      it('draws nothing outside the data (transparent)', async () => {
        const tile = tileAt(grid, 15, GRID_WEST - 0.05, GRID_SOUTH - 0.05);
        const pixels = await render('landuse', grid, tile);
        expect(pixelAt(pixels, 128, 128)[3]).to.equal(0);
      });

      it('agrees with its neighbours along shared edges (no seam)', async () => {
        const { inside, acrossEast, acrossSouth, here } = await edgeMismatch(fixture.renderer, grid);
        expect(acrossEast, `east edge (inside the tile: ${inside})`).to.be.at.most(Math.max(SEAM_SHARE, 2 * inside));
        expect(acrossSouth, `south edge (inside the tile: ${inside})`).to.be.at.most(Math.max(SEAM_SHARE, 2 * inside));
        // And the images do hold parcels there, so the comparison means something.
        expect(pixelAt(here, 255, 128)[3]).to.equal(255);
      });
    });
  }

  describe('given vector tiles without a buffer (the check above, shown to see a seam)', () => {
    let unbuffered: RasterFixture;
    before(async () => {
      unbuffered = await createRasterFixture('raster_unbuffered', (raw) => {
        for (const tileset of raw.tilesets as Record<string, unknown>[]) tileset.buffer = 0;
      });
    });
    after(async () => {
      await unbuffered?.close();
    });

    it('finds the seam: the county outline, cut at the tile edge, is drawn along it', async () => {
      const { acrossEast, acrossSouth } = await edgeMismatch(unbuffered.renderer, WebMercatorQuad);
      expect(Math.max(acrossEast, acrossSouth)).to.be.above(SEAM_SHARE * 4);
    });
  });

  describe('given the planning style', () => {
    it('draws the red line, farmland and development boundary distinguishably where they overlap', async () => {
      // Cell (2, 0) lies in both the farmland and the development boundary; cell (0, 1) in the red line.
      const grid = WebMercatorQuad;
      const farmlandAndBoundary = { lon: GRID_WEST + 2.5 * CELL_WIDTH, lat: GRID_SOUTH + 0.5 * CELL_HEIGHT };
      const redLine = { lon: GRID_WEST + 0.5 * CELL_WIDTH, lat: GRID_SOUTH + 1.5 * CELL_HEIGHT };
      const farmlandOnly = { lon: GRID_WEST + 0.5 * CELL_WIDTH, lat: GRID_SOUTH + 0.5 * CELL_HEIGHT };
      const colourAt = async (point: { lon: number; lat: number }) => {
        const tile = tileAt(grid, 15, point.lon, point.lat);
        return pixelAt(await render('planning', grid, tile), ...pixelOf(grid, tile, point.lon, point.lat, 256));
      };
      const colours = [await colourAt(farmlandAndBoundary), await colourAt(redLine), await colourAt(farmlandOnly)];
      for (let i = 0; i < colours.length; i++) {
        for (let j = i + 1; j < colours.length; j++) expect(channelDistance(colours[i]!, colours[j]!), `${colours[i]} vs ${colours[j]}`).to.be.above(10);
      }
    });
  });

  describe('formats and sizes', () => {
    const tile = tileAt(WebMercatorQuad, 14, GRID_WEST + 2 * CELL_WIDTH, GRID_SOUTH + 1.5 * CELL_HEIGHT);
    for (const [format, sharpFormat] of [['png', 'png'], ['webp', 'webp'], ['jpg', 'jpeg']] as const) {
      for (const scale of [1, 2] as const) {
        it(`encodes ${format} at ${256 * scale} px for scale ${scale}`, async () => {
          const image = await fixture.renderer.render('landuse', tile, WebMercatorQuad, { scale, format });
          const metadata = await sharp(image).metadata();
          expect(metadata.format).to.equal(sharpFormat);
          expect([metadata.width, metadata.height]).to.deep.equal([256 * scale, 256 * scale]);
        });
      }
    }
  });

  describe('given a tile the style cannot have', () => {
    it('rejects an unknown style with NotFoundError', async () => {
      const error = await fixture.renderer.render('nonesuch', { z: 14, x: 0, y: 0 }, WebMercatorQuad, PNG).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(NotFoundError).and.have.property('message').that.includes('unknown style "nonesuch"');
    });
    it('rejects a zoom above the style maxzoom with NotFoundError', async () => {
      const maxzoom = fixture.styles.get('landuse').maxzoom;
      const error = await fixture.renderer.render('landuse', { z: maxzoom + 1, x: 0, y: 0 }, WebMercatorQuad, PNG).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(NotFoundError).and.have.property('message').that.includes(`zoom ${maxzoom + 1} is outside style "landuse"`);
    });
    it('rejects a tile outside the grid with NotFoundError', async () => {
      const error = await fixture.renderer.render('landuse', { z: 3, x: 8, y: 0 }, WebMercatorQuad, PNG).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(NotFoundError).and.have.property('message').that.includes('outside the WebMercatorQuad grid');
    });
  });

  describe('given data-driven expressions that meet a null property', () => {
    let dir: string;
    let renderer: StyleRasterRenderer;
    // Parcel 0 (0101) has TBMJ null; parcel 1 (0102) has TBMJ 1000.
    const nullParcel = PARCELS[0]!;
    const valueParcel = PARCELS[1]!;

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'planmap-styles-'));
      const layer = (id: string, fillColor: unknown, extra: Record<string, unknown> = {}) => ({
        version: 8,
        sources: { landuse: { type: 'vector', url: 'planmap://landuse' } },
        layers: [{ id, type: 'fill', source: 'landuse', 'source-layer': 'landuse', paint: { 'fill-color': fillColor, ...extra } }],
      });
      // case: the style's own fallback for null.
      writeFileSync(join(dir, 'case.json'), JSON.stringify(layer('a', ['case', ['==', ['get', 'TBMJ'], null], '#123456', '#abcdef'])));
      // step and interpolate over a null number: the evaluation fails, the property's default is used
      // (fill-color black, fill-opacity 1), as MapLibre does; the tile still renders.
      writeFileSync(join(dir, 'step.json'), JSON.stringify(layer('b', ['step', ['get', 'TBMJ'], '#ff0000', 500, '#0000ff'],
        { 'fill-opacity': ['interpolate', ['linear'], ['get', 'TBMJ'], 0, 0.5, 2000, 1] })));
      const styles = loadStyleCatalog(dir, fixture.catalog, silentLogger, fixture.config.tilesets);
      renderer = new StyleRasterRenderer({ styles, catalog: () => fixture.catalog });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    async function colourOf(styleId: string, parcel: (typeof PARCELS)[number]): Promise<number[]> {
      const tile = tileAt(WebMercatorQuad, 15, parcel.lon, parcel.lat);
      const pixels = await decodePixels(await renderer.render(styleId, tile, WebMercatorQuad, PNG));
      return pixelAt(pixels, ...pixelOf(WebMercatorQuad, tile, parcel.lon, parcel.lat, 256));
    }

    it('takes the branch the style gives for null (case)', async () => {
      expect(await colourOf('case', nullParcel)).to.deep.equal(hexColour('#123456'));
      expect(await colourOf('case', valueParcel)).to.deep.equal(hexColour('#abcdef'));
    });

    it('falls back to the property default instead of failing (step, interpolate)', async () => {
      expect(await colourOf('step', nullParcel)).to.deep.equal([0, 0, 0, 255]);
      // 1000 m²: step gives blue, interpolate 0.75 opacity.
      expect(channelDistance(await colourOf('step', valueParcel), [0, 0, 255, 191])).to.be.at.most(1);
    });

    it('colours a parcel without DLBM in the landuse style with the documented fallback', async () => {
      const parcel = PARCELS.find((p) => p.code === null)!;
      const tile = tileAt(WebMercatorQuad, 15, parcel.lon, parcel.lat);
      const pixels = await decodePixels(await fixture.renderer.render('landuse', tile, WebMercatorQuad, PNG));
      expect(pixelAt(pixels, ...pixelOf(WebMercatorQuad, tile, parcel.lon, parcel.lat, 256))).to.deep.equal(hexColour(FALLBACK_CLASS_COLOUR));
    });
  });
});
