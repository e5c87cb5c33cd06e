import { expect } from 'chai';
import { openGeoJson } from '../../../../pipeline/readers/geojson/open-geojson.js';
import { expectImportError, featureCollectionText, makeTempDir, readAllFeatures, squareFeature, type TempDir } from './geojson-fixtures.js';

// Coordinates as written in the file, digit for digit: more digits than a double holds, the
// largest and smallest doubles, a negative zero, and Gauss-Krüger metres with a zone prefix.
const EXTERIOR = '[[116.123456789012, 39.987654321098], [116.223456789012, 39.987654321098], [116.223456789012, 40.087654321098], [116.123456789012, 40.087654321098], [116.123456789012, 39.987654321098]]';
const HOLE = '[[116.15, 40.01], [116.15, 40.02], [116.16000000000000001, 40.02], [116.15, 40.01]]';
const EXTREMES = '[[39512345.123456789, 4012345.6789012345], [39512346.5, 4012345.6789012345], [1.7976931348623157e308, 5e-324], [-0, 4012346], [39512345.123456789, 4012345.6789012345]]';

const POLYGON_WITH_HOLE = `{"type": "Feature", "properties": {"DLMC": "水田", "DLBM": "0101", "TBMJ": 12345.67, "SFJZ": true},
  "geometry": {"type": "Polygon", "coordinates": [${EXTERIOR}, ${HOLE}]}}`;
const MULTIPOLYGON = `{"type": "Feature", "properties": {"DLMC": "农村宅基地", "DLBM": "0702", "TBMJ": 300, "SFJZ": false, "extra": {"备注": ["一", 2]}},
  "geometry": {"type": "MultiPolygon", "coordinates": [[${EXTERIOR}, ${HOLE}], [${EXTREMES}]]}}`;
const NO_GEOMETRY = `{"type": "Feature", "properties": {"DLMC": "坑塘水面", "DLBM": 1104, "TBMJ": null}, "geometry": null}`;

describe('openGeoJson (pipeline/readers/geojson)', () => {
  let dir: TempDir;

  before(async () => {
    dir = await makeTempDir('geojson');
  });

  after(async () => {
    await dir.remove();
  });

  describe('given a FeatureCollection of polygons with holes, a multipolygon and Chinese attributes', () => {
    const text = featureCollectionText([POLYGON_WITH_HOLE, MULTIPOLYGON, NO_GEOMETRY]);
    let path: string;

    before(async () => {
      path = await dir.write('parcels.geojson', text);
    });

    it('reads every feature once, in file order, numbered from 1', async () => {
      const features = await readAllFeatures(path);
      expect(features.map((feature) => [feature.index, feature.properties.DLBM])).to.deep.equal([[1, '0101'], [2, '0702'], [3, 1104]]);
    });

    it('does not claim a feature count: only reading the whole file would tell', async () => {
      const source = await openGeoJson(path);
      await source.close();
      expect(source.featureCount).to.equal(null);
    });

    it('passes Chinese text through exactly, and nested values as their JSON text', async () => {
      const features = await readAllFeatures(path);
      expect(features.map((feature) => feature.properties)).to.deep.equal([
        { DLMC: '水田', DLBM: '0101', TBMJ: 12345.67, SFJZ: true },
        { DLMC: '农村宅基地', DLBM: '0702', TBMJ: 300, SFJZ: false, extra: '{"备注":["一",2]}' },
        { DLMC: '坑塘水面', DLBM: 1104, TBMJ: null },
      ]);
    });

    it('keeps every coordinate bit-identical to the number written in the file', async () => {
      const features = await readAllFeatures(path);
      // JSON.parse of the same text is the reference: both round the decimal text once.
      const expected = (JSON.parse(text) as { features: { geometry: unknown }[] }).features.map((feature) => feature.geometry);
      expect(features.map((feature) => feature.geometry)).to.deep.equal(expected);
      const [polygon, multipolygon] = features.map((feature) => feature.geometry);
      if (polygon?.type !== 'Polygon' || multipolygon?.type !== 'MultiPolygon') throw new Error('geometry types');
      expect(polygon.coordinates[0]![0]).to.deep.equal([116.123456789012, 39.987654321098]);
      expect(polygon.coordinates[1]![2]![0]).to.equal(116.16); // 116.16000000000000001 rounds to the same double
      const extremes = multipolygon.coordinates[1]![0]!;
      expect(extremes[0]).to.deep.equal([39512345.123456789, 4012345.6789012345]);
      expect(extremes[2]).to.deep.equal([Number.MAX_VALUE, Number.MIN_VALUE]);
      expect(Object.is(extremes[3]![0], -0), 'negative zero').to.equal(true);
    });

    it('gives a feature without geometry as null', async () => {
      const features = await readAllFeatures(path);
      expect(features[2]!.geometry).to.equal(null);
    });

    it('infers the fields from the properties: string, number, boolean, and mixed kinds as string', async () => {
      const source = await openGeoJson(path);
      expect(source.fields).to.deep.equal([
        { name: 'DLMC', type: 'string' },
        { name: 'DLBM', type: 'string' }, // "0101" and 1104
        { name: 'TBMJ', type: 'number' }, // null does not count
        { name: 'SFJZ', type: 'boolean' },
        { name: 'extra', type: 'string' }, // an object, as JSON text
      ]);
      await source.close();
    });

    it('infers the fields from the first sampleFeatures features only', async () => {
      const source = await openGeoJson(path, { sampleFeatures: 1 });
      expect(source.fields.map((field) => `${field.name}:${field.type}`)).to.deep.equal(['DLMC:string', 'DLBM:string', 'TBMJ:number', 'SFJZ:boolean']);
      await source.close();
    });

    it('declares no CRS, since the file has no crs member', async () => {
      const source = await openGeoJson(path);
      expect(source.crs).to.equal(null);
      await source.close();
    });

    it('names itself by its label when given one (as for a file inside a zip)', async () => {
      const source = await openGeoJson(path, { label: 'delivery.zip!/地类图斑/parcels.geojson' });
      expect(source.file).to.equal('delivery.zip!/地类图斑/parcels.geojson');
      await source.close();
    });

    it('reads the file again for each call of features()', async () => {
      const source = await openGeoJson(path);
      const count = async () => {
        let n = 0;
        for await (const _ of source.features()) n++;
        return n;
      };
      expect([await count(), await count()]).to.deep.equal([3, 3]);
      await source.close();
    });
  });

  describe('given a legacy crs member', () => {
    const cases = [
      { name: 'before the features, as an OGC URN', members: { crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4527' } } }, after: false, crs: { kind: 'name', name: 'urn:ogc:def:crs:EPSG::4527' } },
      { name: 'after the features, as EPSG:4490', members: { crs: { type: 'name', properties: { name: 'EPSG:4490' } } }, after: true, crs: { kind: 'name', name: 'EPSG:4490' } },
      { name: 'after the features, in the 2007 "EPSG" form', members: { crs: { type: 'EPSG', properties: { code: 4526 } } }, after: true, crs: { kind: 'epsg', code: 4526 } },
    ];
    for (const { name, members, after, crs } of cases) {
      it(`states it as the CRS hint when it comes ${name}`, async () => {
        const path = await dir.write(`crs-${crs.kind}-${after}.geojson`, featureCollectionText([squareFeature({ DLMC: '水田' })], { name: 'DLTB', ...members }, after));
        const source = await openGeoJson(path);
        expect(source.crs).to.deep.equal(crs);
        const features = [];
        for await (const feature of source.features()) features.push(feature);
        expect(features.map((feature) => feature.properties)).to.deep.equal([{ DLMC: '水田' }]);
        await source.close();
      });
    }
  });

  describe('given unusual but valid files', () => {
    it('reads a file that starts with a UTF-8 byte-order mark', async () => {
      const path = await dir.write('bom.geojson', `\uFEFF${featureCollectionText([squareFeature({ DLMC: '旱地' })])}`);
      expect((await readAllFeatures(path)).map((feature) => feature.properties.DLMC)).to.deep.equal(['旱地']);
    });

    it('reads an empty FeatureCollection as no features and no fields', async () => {
      const path = await dir.write('empty.geojson', '{"type": "FeatureCollection", "features": []}');
      const source = await openGeoJson(path);
      expect(source.fields).to.deep.equal([]);
      expect(await readAllFeatures(path)).to.deep.equal([]);
      await source.close();
    });

    it('ignores a "features" key inside properties and strings that look like JSON', async () => {
      const feature = squareFeature({ features: [1, 2], note: '"features": [{"x": "}]"}' });
      const path = await dir.write('tricky.geojson', featureCollectionText([feature], { crs: { type: 'name', properties: { name: 'EPSG:4490' } } }, true));
      const features = await readAllFeatures(path);
      expect(features.map((one) => one.properties)).to.deep.equal([{ features: '[1,2]', note: '"features": [{"x": "}]"}' }]);
    });

    it('reads points, lines, a geometry collection and empty geometries', async () => {
      const geometries = [
        { type: 'Point', coordinates: [116.5, 36.5, 32.1] },
        { type: 'MultiPoint', coordinates: [[116.5, 36.5], [116.6, 36.6]] },
        { type: 'LineString', coordinates: [[116.5, 36.5], [116.6, 36.6]] },
        { type: 'MultiLineString', coordinates: [[[116.5, 36.5], [116.6, 36.6]]] },
        { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [1, 2] }] },
        { type: 'MultiPolygon', coordinates: [] },
      ];
      const path = await dir.write('kinds.geojson', featureCollectionText(geometries.map((geometry) => ({ type: 'Feature', properties: null, geometry }))));
      const features = await readAllFeatures(path);
      expect(features.map((feature) => feature.geometry)).to.deep.equal(geometries);
      expect(features.map((feature) => feature.properties)).to.deep.equal(geometries.map(() => ({})));
    });
  });

  describe('given a source in use', () => {
    it('stops an iteration when its signal is aborted, with the signal\'s reason', async () => {
      const path = await dir.write('abort.geojson', featureCollectionText(Array.from({ length: 50 }, (_, i) => squareFeature({ n: i }))));
      const source = await openGeoJson(path);
      const controller = new AbortController();
      const reason = new Error('import cancelled');
      let seen = 0;
      try {
        for await (const _ of source.features(controller.signal)) {
          if (++seen === 10) controller.abort(reason);
        }
        expect.fail('the iteration went on after the abort');
      } catch (error) {
        expect(error).to.equal(reason);
      }
      expect(seen).to.equal(10);
      await source.close();
    });

    it('fails an iteration still running when the source is closed, rather than ending it early', async () => {
      const path = await dir.write('close.geojson', featureCollectionText(Array.from({ length: 50 }, (_, i) => squareFeature({ n: i }))));
      const source = await openGeoJson(path);
      let seen = 0;
      try {
        for await (const _ of source.features()) {
          if (++seen === 5) await source.close();
        }
        expect.fail('the iteration ended as if the file had no more features');
      } catch (error) {
        expect((error as Error).message).to.match(/closed/);
      }
      await source.close(); // again: harmless
    });
  });

  describe('given a file that cannot be opened', () => {
    it('fails with the system error, which is not the delivery\'s fault', async () => {
      let caught: unknown;
      await openGeoJson(`${dir.path}/missing.geojson`).catch((error: unknown) => (caught = error));
      expect((caught as NodeJS.ErrnoException).code).to.equal('ENOENT');
    });

    it('refuses a sampleFeatures that is not a positive integer, naming the option', async () => {
      const path = await dir.write('options.geojson', featureCollectionText([]));
      let caught: unknown;
      await openGeoJson(path, { sampleFeatures: 0 }).catch((error: unknown) => (caught = error));
      expect((caught as Error).message).to.match(/sampleFeatures must be a positive integer/);
    });
  });
});
