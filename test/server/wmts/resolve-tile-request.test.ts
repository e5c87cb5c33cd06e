import { expect } from 'chai';
import { CGCS2000Quad, WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import { resolveTileRequest, type WmtsLayer } from '../../../server/wmts/resolve-tile-request.js';
import { levelTileMatrixLimits } from '../../../server/wmts/tile-matrix-limits.js';
import type { GetTileRequest } from '../../../server/wmts/wmts-request.js';
import { expectWmtsError } from './expect-wmts-error.js';

const LANDUSE: WmtsLayer = { id: 'landuse', name: 'landuse', bounds: [115.27, 35.78, 116.55, 37.05], minzoom: 10, maxzoom: 16 };
const EMPTY: WmtsLayer = { id: 'planning', name: 'planning', bounds: null, minzoom: 0, maxzoom: 16 };
const LAYERS = [LANDUSE, EMPTY];

/** A tile inside Liaocheng at CGCS2000Quad level 12: column of 115.9°E, row of 36.4°N. */
const SPAN_12 = 180 / 2 ** 12;
const COL_12 = Math.floor((115.9 + 180) / SPAN_12);
const ROW_12 = Math.floor((90 - 36.4) / SPAN_12);

function request(overrides: Partial<GetTileRequest> = {}): GetTileRequest {
  return {
    operation: 'GetTile', layer: 'landuse', style: 'default', format: 'image/png',
    tileMatrixSet: 'CGCS2000Quad', tileMatrix: '12', tileRow: String(ROW_12), tileCol: String(COL_12),
    ...overrides,
  };
}

describe('WMTS GetTile checks', () => {
  describe('given a tile of the layer', () => {
    it('resolves layer, grid, tile (row = y, col = x) and format', () => {
      const resolved = resolveTileRequest(request({ format: 'image/webp' }), LAYERS);
      expect(resolved.layer).to.equal(LANDUSE);
      expect(resolved.grid).to.equal(CGCS2000Quad);
      expect(resolved.tile).to.deep.equal({ z: 12, x: COL_12, y: ROW_12 });
      expect(resolved.format).to.equal('webp');
    });

    it('maps image/jpeg to jpg and takes WebMercatorQuad', () => {
      const resolved = resolveTileRequest(request({ tileMatrixSet: 'WebMercatorQuad', tileMatrix: '12', tileRow: '1600', tileCol: '3366', format: 'image/jpeg' }), LAYERS);
      expect(resolved.grid).to.equal(WebMercatorQuad);
      expect(resolved.format).to.equal('jpg');
      expect(resolved.tile).to.deep.equal({ z: 12, x: 3366, y: 1600 });
    });

    it('takes every tile of the grid for a layer without data bounds', () => {
      expect(resolveTileRequest(request({ layer: 'planning', tileMatrix: '0', tileRow: '0', tileCol: '1' }), LAYERS).tile).to.deep.equal({ z: 0, x: 1, y: 0 });
    });
  });

  it('answers InvalidParameterValue for an unknown layer, listing the layers', () => {
    expectWmtsError(() => resolveTileRequest(request({ layer: 'Landuse' }), LAYERS), 'InvalidParameterValue', 'Layer', 400, /"Landuse".*landuse, planning/);
  });

  it('answers InvalidParameterValue for a style other than "default"', () => {
    expectWmtsError(() => resolveTileRequest(request({ style: 'Default' }), LAYERS), 'InvalidParameterValue', 'Style', 400, /"Default"/);
  });

  for (const format of ['image/gif', 'image/PNG', 'png', 'image/jpg']) {
    it(`answers InvalidParameterValue for the format ${format}, listing the formats`, () => {
      expectWmtsError(() => resolveTileRequest(request({ format }), LAYERS), 'InvalidParameterValue', 'Format', 400, /image\/png, image\/webp, image\/jpeg/);
    });
  }

  for (const tileMatrixSet of ['cgcs2000quad', 'GoogleMapsCompatible', 'EPSG:4490']) {
    it(`answers InvalidParameterValue for the tile matrix set ${tileMatrixSet}`, () => {
      expectWmtsError(() => resolveTileRequest(request({ tileMatrixSet }), LAYERS), 'InvalidParameterValue', 'TileMatrixSet', 400, /WebMercatorQuad, CGCS2000Quad/);
    });
  }

  for (const tileMatrix of ['25', '-1', '012', '1.5', 'EPSG:4490:12', '']) {
    it(`answers InvalidParameterValue for the tile matrix "${tileMatrix}"`, () => {
      expectWmtsError(() => resolveTileRequest(request({ tileMatrix }), LAYERS), 'InvalidParameterValue', 'TileMatrix', 400, /0 to 24/);
    });
  }

  for (const [name, value] of [['tileRow', '1.5'], ['tileRow', 'abc'], ['tileCol', '1e3'], ['tileCol', '']] as const) {
    it(`answers InvalidParameterValue for ${name} "${value}", which is not an integer`, () => {
      const locator = name === 'tileRow' ? 'TileRow' : 'TileCol';
      expectWmtsError(() => resolveTileRequest(request({ [name]: value }), LAYERS), 'InvalidParameterValue', locator, 400, /not an integer/);
    });
  }

  describe('given a tile matrix outside the layer zoom range', () => {
    it('answers TileOutOfRange above the max zoom', () => {
      expectWmtsError(() => resolveTileRequest(request({ tileMatrix: '17' }), LAYERS), 'TileOutOfRange', 'TileMatrix', 400, /10 to 16/);
    });

    it('answers TileOutOfRange below the min zoom', () => {
      expectWmtsError(() => resolveTileRequest(request({ tileMatrix: '9', tileRow: '0', tileCol: '0' }), LAYERS), 'TileOutOfRange', 'TileMatrix', 400);
    });
  });

  describe('given a row or column outside the layer limits', () => {
    const limits = levelTileMatrixLimits(CGCS2000Quad, LANDUSE, 12)!;

    it('accepts the corners of the limits', () => {
      for (const [row, col] of [[limits.minRow, limits.minCol], [limits.maxRow, limits.maxCol]]) {
        expect(resolveTileRequest(request({ tileRow: String(row), tileCol: String(col) }), LAYERS).tile).to.deep.equal({ z: 12, x: col, y: row });
      }
    });

    for (const [name, value, locator] of [
      ['tileRow', () => limits.maxRow + 1, 'TileRow'],
      ['tileRow', () => limits.minRow - 1, 'TileRow'],
      ['tileRow', () => -1, 'TileRow'],
      ['tileCol', () => limits.maxCol + 1, 'TileCol'],
      ['tileCol', () => 2 ** 13, 'TileCol'],
      ['tileCol', () => Number.MAX_SAFE_INTEGER, 'TileCol'],
    ] as const) {
      it(`answers TileOutOfRange for ${name} ${value()}, naming ${locator} and the limits`, () => {
        expectWmtsError(() => resolveTileRequest(request({ [name]: String(value()) }), LAYERS), 'TileOutOfRange', locator, 400, /is outside \d+ to \d+/);
      });
    }

    it('answers TileOutOfRange for a row outside the grid of a layer without bounds', () => {
      expectWmtsError(() => resolveTileRequest(request({ layer: 'planning', tileMatrix: '0', tileRow: '1', tileCol: '0' }), LAYERS), 'TileOutOfRange', 'TileRow', 400, /outside 0 to 0/);
      expectWmtsError(() => resolveTileRequest(request({ layer: 'planning', tileMatrixSet: 'WebMercatorQuad', tileMatrix: '0', tileRow: '0', tileCol: '1' }), LAYERS), 'TileOutOfRange', 'TileCol', 400, /outside 0 to 0/);
    });
  });
});
