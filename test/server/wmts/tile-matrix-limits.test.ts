import { expect } from 'chai';
import { CGCS2000Quad, matrixHeight, matrixWidth, WebMercatorQuad, type Bounds, type TileMatrixSet } from '../../../core/grid/tile-matrix-set.js';
import { layerTileMatrixLimits, levelTileMatrixLimits, type LayerExtent } from '../../../server/wmts/tile-matrix-limits.js';

/** Degrees to EPSG:3857, written out here so the check does not reuse the code it checks. */
function toMercator(longitude: number, latitude: number): [number, number] {
  return [(6378137 * longitude * Math.PI) / 180, 6378137 * Math.log(Math.tan(Math.PI / 4 + (latitude * Math.PI) / 360))];
}

function boundsInGrid(grid: TileMatrixSet, [west, south, east, north]: Bounds): Bounds {
  return grid === CGCS2000Quad ? [west, south, east, north] : [...toMercator(west, south), ...toMercator(east, north)];
}

describe('WMTS TileMatrixLimits of a layer', () => {
  /** Small boxes of data, from a single parcel to a city, some on tile edges. */
  const SAMPLES: Bounds[] = [
    [115.9, 36.4, 115.9001, 36.4001],
    [115.27, 35.78, 116.55, 37.05],
    [0, 0, 0.5, 0.5],
    [-0.001, -0.001, 0.001, 0.001],
    [112.5, 33.75, 118.125, 39.375],
  ];

  for (const grid of [CGCS2000Quad, WebMercatorQuad]) {
    describe(`in ${grid.id}`, () => {
      it('hold every tile the data meets, and besides only tiles within 8 pixels of it', () => {
        // The limits and the data are both boxes, so rows and columns can be checked apart:
        // the first and last column (row) held must come near the data, the ones just outside
        // must not meet it.
        for (const bounds of SAMPLES) {
          for (const z of [0, 3, 8, 12, 16, 20]) {
            const limits = levelTileMatrixLimits(grid, { bounds, minzoom: 0, maxzoom: 24 }, z)!;
            const [west, south, east, north] = boundsInGrid(grid, bounds);
            const span = grid.tileSpan0 / 2 ** z;
            const margin = (8 * span) / 256;
            const label = `${bounds.join(',')} z${z}`;
            const columnRange = (x: number): [number, number] => [grid.origin[0] + x * span, grid.origin[0] + (x + 1) * span];
            const rowRange = (y: number): [number, number] => [grid.origin[1] - (y + 1) * span, grid.origin[1] - y * span];
            const meets = ([low, high]: [number, number], min: number, max: number): boolean => low <= max && min <= high;
            expect(meets(columnRange(limits.minCol), west - margin, east + margin), `${label} first column`).to.equal(true);
            expect(meets(columnRange(limits.maxCol), west - margin, east + margin), `${label} last column`).to.equal(true);
            expect(meets(rowRange(limits.minRow), south - margin, north + margin), `${label} first row`).to.equal(true);
            expect(meets(rowRange(limits.maxRow), south - margin, north + margin), `${label} last row`).to.equal(true);
            if (limits.minCol > 0) expect(meets(columnRange(limits.minCol - 1), west, east), `${label} column before`).to.equal(false);
            if (limits.maxCol < matrixWidth(grid, z) - 1) expect(meets(columnRange(limits.maxCol + 1), west, east), `${label} column after`).to.equal(false);
            if (limits.minRow > 0) expect(meets(rowRange(limits.minRow - 1), south, north), `${label} row above`).to.equal(false);
            if (limits.maxRow < matrixHeight(grid, z) - 1) expect(meets(rowRange(limits.maxRow + 1), south, north), `${label} row below`).to.equal(false);
          }
        }
      });

      it('cover the layer zoom range only, capped to the grid', () => {
        const layer: LayerExtent = { bounds: SAMPLES[1]!, minzoom: 10, maxzoom: 30 };
        const limits = layerTileMatrixLimits(grid, layer);
        expect(limits.map((level) => level.z)).to.deep.equal(Array.from({ length: 15 }, (_, i) => 10 + i));
        expect(levelTileMatrixLimits(grid, layer, 9)).to.equal(null);
        expect(levelTileMatrixLimits(grid, layer, 25)).to.equal(null);
      });

      it('are the whole grid for a layer without data bounds', () => {
        expect(levelTileMatrixLimits(grid, { bounds: null, minzoom: 0, maxzoom: 5 }, 5)).to.deep.equal({
          z: 5, minRow: 0, maxRow: matrixHeight(grid, 5) - 1, minCol: 0, maxCol: matrixWidth(grid, 5) - 1,
        });
      });
    });
  }

  it('clamp data reaching beyond the grid (Web Mercator stops at 85.05°)', () => {
    const limits = levelTileMatrixLimits(WebMercatorQuad, { bounds: [-180, -90, 180, 90], minzoom: 0, maxzoom: 4 }, 4)!;
    expect(limits).to.deep.equal({ z: 4, minRow: 0, maxRow: 15, minCol: 0, maxCol: 15 });
  });
});
