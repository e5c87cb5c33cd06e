import { expect } from 'chai';
import { ConfigError } from '../../../core/errors.js';
import { parseDeliveryOptions, type RawDeliveryOptions } from '../../../pipeline/delivery/delivery-options.js';

function refusal(raw: RawDeliveryOptions): string {
  try {
    parseDeliveryOptions(raw);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

describe('parseDeliveryOptions (pipeline/delivery)', () => {
  describe('given only --out and --parcels', () => {
    it('writes every layer as Shapefiles with the default seed', () => {
      expect(parseDeliveryOptions({ out: '/tmp/d', parcels: '1000' })).to.deep.equal({
        outDir: '/tmp/d', parcels: 1000, seed: 'liaocheng', format: 'shapefile', layers: ['landuse', 'stbhhx', 'yjjbnt', 'czkfbj', 'ghfq'],
      });
    });
  });

  describe('given --layers in any order and case', () => {
    it('keeps the file order', () => {
      expect(parseDeliveryOptions({ out: 'd', parcels: '1000000', layers: 'GHFQ, landuse' }).layers).to.deep.equal(['landuse', 'ghfq']);
    });
  });

  describe('given a bad value', () => {
    it('names the option and what it accepts', () => {
      expect(refusal({ parcels: '1000' })).to.match(/^--out/);
      expect(refusal({ out: 'd' })).to.match(/^--parcels: required/);
      for (const parcels of ['999', '1000001', '2e3', '1500.5', '-1000', '']) {
        expect(refusal({ out: 'd', parcels })).to.equal(`--parcels: "${parcels}" is not a whole number between 1000 and 1000000`);
      }
      expect(refusal({ out: 'd', parcels: '1000', format: 'gpkg' })).to.equal('--format: "gpkg" is not one of shapefile, geojson, all');
      expect(refusal({ out: 'd', parcels: '1000', layers: 'landuse,xzq' })).to.equal('--layers: "xzq" is not one of landuse, stbhhx, yjjbnt, czkfbj, ghfq');
      expect(refusal({ out: 'd', parcels: '1000', layers: ',' })).to.match(/^--layers: name at least one of/);
      expect(refusal({ out: 'd', parcels: '1000', seed: '' })).to.match(/^--seed/);
    });
  });
});
