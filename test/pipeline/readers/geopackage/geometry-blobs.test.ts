import { expect } from 'chai';
import type { Point } from 'geojson';
import { geometryBlob, wkb } from './geometry-blobs.js';

/**
 * The test encoder against bytes decoded by hand from the specs, so that the reader's tests do not
 * rest on an encoder that shares the reader's misreadings. Hex is grouped by field.
 */
function hex(...fields: string[]): string {
  return fields.join('');
}

describe('geometry-blobs: the tests\' GeoPackage geometry encoder (test/pipeline/readers/geopackage)', () => {
  describe('given POINT (1 2)', () => {
    it('writes ISO WKB: byte order 1, type 1, x, y as little-endian doubles', () => {
      expect(wkb({ type: 'Point', coordinates: [1, 2] }).toString('hex')).to.equal(hex('01', '01000000', '000000000000f03f', '0000000000000040'));
    });

    it('writes big-endian WKB with byte order 0', () => {
      expect(wkb({ type: 'Point', coordinates: [1, 2] }, { isBigEndian: true }).toString('hex')).to.equal(hex('00', '00000001', '3ff0000000000000', '4000000000000000'));
    });

    it('writes PointZ as ISO type 1001 and as EWKB type 0x80000001', () => {
      const point: Point = { type: 'Point', coordinates: [1, 2] };
      expect(wkb(point, { dimensions: 'xyz' }).toString('hex')).to.equal(hex('01', 'e9030000', '000000000000f03f', '0000000000000040', '0000000000002940'));
      expect(wkb(point, { dimensions: 'xyz', typeCodes: 'ewkb' }).toString('hex')).to.equal(hex('01', '01000080', '000000000000f03f', '0000000000000040', '0000000000002940'));
    });

    it('wraps it in a GeoPackage header: GP, version 0, flags, srs_id', () => {
      const blob = geometryBlob({ type: 'Point', coordinates: [1, 2] }, { srsId: 4527 });
      expect(blob.toString('hex')).to.equal(hex('4750', '00', '01', 'af110000', '01', '01000000', '000000000000f03f', '0000000000000040'));
    });

    it('writes an xy envelope (indicator 1, flags 0x03) as minx, maxx, miny, maxy', () => {
      const blob = geometryBlob({ type: 'Point', coordinates: [1, 2] }, { srsId: 4527, hasEnvelope: true });
      expect(blob.subarray(0, 40).toString('hex')).to.equal(
        hex('4750', '00', '03', 'af110000', '000000000000f03f', '000000000000f03f', '0000000000000040', '0000000000000040'),
      );
    });
  });

  describe('given a polygon of one ring', () => {
    it('writes the ring count, then each ring as its point count and points', () => {
      const ring = [[0, 0], [1, 0], [0, 1], [0, 0]];
      const bytes = wkb({ type: 'Polygon', coordinates: [ring] });
      expect(bytes.subarray(0, 13).toString('hex')).to.equal(hex('01', '03000000', '01000000', '04000000'));
      expect(bytes.length).to.equal(13 + 4 * 16);
    });
  });

  describe('given a multipolygon', () => {
    it('writes the member count, then each member as a whole WKB polygon', () => {
      const ring = [[0, 0], [1, 0], [0, 1], [0, 0]];
      const bytes = wkb({ type: 'MultiPolygon', coordinates: [[ring], [ring]] });
      expect(bytes.subarray(0, 9).toString('hex')).to.equal(hex('01', '06000000', '02000000'));
      expect(bytes.subarray(9, 14).toString('hex')).to.equal(hex('01', '03000000'));
      expect(bytes.length).to.equal(9 + 2 * (13 + 4 * 16));
    });
  });
});
