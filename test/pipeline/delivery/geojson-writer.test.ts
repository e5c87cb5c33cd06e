import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createGeoJsonWriter } from '../../../pipeline/delivery/geojson-writer.js';
import { readGeoJson } from './read-delivery.js';

const SQUARE = '{"type":"Polygon","coordinates":[[[39470000.123,4030000.456],[39470100.123,4030000.456],[39470100.123,4030100.456],[39470000.123,4030000.456]]]}';

describe('createGeoJsonWriter (pipeline/delivery)', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'planmap-geojson-writer-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('given no crs name', () => {
    it('writes an RFC 7946 FeatureCollection (no crs member) that the reader takes as WGS 84', async () => {
      const writer = await createGeoJsonWriter(join(dir, 'plain.geojson'), { crsName: null });
      await writer.write({ DLMC: '水浇地', TBMJ: 5000.25, KCDLBM: null }, '{"type":"Polygon","coordinates":[[[115.9,36.4],[116,36.4],[116,36.5],[115.9,36.4]]]}');
      await writer.write({ DLMC: '旱地', TBMJ: 1, KCDLBM: '1203' }, null);
      await writer.close();
      await writer.close();
      const parsed = JSON.parse(await readFile(join(dir, 'plain.geojson'), 'utf8')) as Record<string, unknown>;
      expect(Object.keys(parsed)).to.deep.equal(['type', 'features']);
      const read = await readGeoJson(join(dir, 'plain.geojson'));
      expect(read.srid).to.equal(4326);
      expect(read.features.map((feature) => feature.properties)).to.deep.equal([
        { DLMC: '水浇地', TBMJ: 5000.25, KCDLBM: null },
        { DLMC: '旱地', TBMJ: 1, KCDLBM: '1203' },
      ]);
      expect(read.features[1]!.geometry).to.equal(null);
    });
  });

  describe('given a crs name of a Gauss-Kruger zone', () => {
    it('writes the legacy crs member, which the reader resolves to the zone', async () => {
      const writer = await createGeoJsonWriter(join(dir, 'zone.geojson'), { crsName: 'urn:ogc:def:crs:EPSG::4527' });
      await writer.write({ BSM: '371502000000000001' }, SQUARE);
      await writer.close();
      const read = await readGeoJson(join(dir, 'zone.geojson'));
      expect(read.srid).to.equal(4527);
      expect(read.features[0]!.geometry).to.deep.equal(JSON.parse(SQUARE));
      await writer.close();
      const error = await writer.write({}, SQUARE).then(() => null, (caught: unknown) => caught as Error);
      expect(error?.message).to.match(/write\(\) after close\(\)/);
    });
  });

  describe('given no features', () => {
    it('writes an empty collection', async () => {
      const writer = await createGeoJsonWriter(join(dir, 'empty.geojson'), { crsName: null });
      await writer.close();
      expect(JSON.parse(await readFile(join(dir, 'empty.geojson'), 'utf8'))).to.deep.equal({ type: 'FeatureCollection', features: [] });
    });
  });
});
