import { openGeoJson } from '../../../../pipeline/readers/geojson/open-geojson.js';
import { expectImportError, featureCollectionText, makeTempDir, readAllFeatures, squareFeature, type TempDir } from './geojson-fixtures.js';

const GOOD = squareFeature({ DLMC: '水田' });
const fc = (...features: unknown[]) => featureCollectionText([GOOD, GOOD, ...features]);
const withGeometry = (geometry: unknown) => fc({ type: 'Feature', properties: {}, geometry });
const ring = (...positions: unknown[]) => positions;
const SQUARE = [[116, 36], [117, 36], [117, 37], [116, 37], [116, 36]];

/** Ten features, cut off in the middle of the eighth. */
function truncatedText(): string {
  const features = Array.from({ length: 10 }, (_, i) => JSON.stringify(squareFeature({ BSM: String(i + 1) })));
  const full = featureCollectionText(features);
  const eighth = full.indexOf(features[7]!);
  return full.slice(0, eighth + 40);
}

describe('openGeoJson (pipeline/readers/geojson) on bad input', () => {
  let dir: TempDir;

  before(async () => {
    dir = await makeTempDir('geojson-bad');
  });

  after(async () => {
    await dir.remove();
  });

  describe('given a file that is not a GeoJSON FeatureCollection', () => {
    const cases: { it: string; content: string | Buffer; message: RegExp }[] = [
      { it: 'refuses text that is not JSON', content: 'DLBM,DLMC\n0101,水田\n', message: /is not JSON, or not a JSON object: it starts with "DLBM,DLMC/ },
      { it: 'refuses a binary file', content: Buffer.from([0x00, 0x00, 0x27, 0x0a, 0x00, 0x00]), message: /is not JSON, or not a JSON object: it starts with "\\u0000\\u0000'/ },
      { it: 'refuses a bare Feature, saying so', content: JSON.stringify(GOOD), message: /holds a single GeoJSON Feature, not a FeatureCollection/ },
      { it: 'refuses a bare geometry, saying which', content: JSON.stringify(GOOD.geometry), message: /holds a bare GeoJSON Polygon geometry/ },
      { it: 'refuses an array of features', content: JSON.stringify([GOOD]), message: /holds a JSON array, not a GeoJSON FeatureCollection/ },
      { it: 'refuses another type', content: '{"type": "Topology", "objects": {}}', message: /has "type": "Topology"; a GeoJSON FeatureCollection was expected/ },
      {
        it: 'refuses Esri JSON, saying so',
        content: '{"displayFieldName": "", "geometryType": "esriGeometryPolygon", "spatialReference": {"wkid": 4490}, "features": []}',
        message: /is Esri JSON/,
      },
      { it: 'refuses an object without type, naming its members', content: '{"name": "DLTB", "features": []}', message: /members "name", "features" but no "type"/ },
      { it: 'refuses a FeatureCollection without features', content: '{"type": "FeatureCollection"}', message: /without a "features" member/ },
      { it: 'refuses features that are not an array', content: '{"type": "FeatureCollection", "features": {}}', message: /"features" member is not an array/ },
      { it: 'refuses two features members', content: '{"type": "FeatureCollection", "features": [], "features": []}', message: /has two "features" members/ },
      { it: 'refuses a second JSON document after the first', content: `${fc()}{"type": "FeatureCollection", "features": []}`, message: /has more data after the end of its JSON object, at byte \d+/ },
      { it: 'refuses "crs": null, which does not mean WGS 84', content: featureCollectionText([GOOD], { crs: null }), message: /"crs" member is null/ },
      { it: 'refuses a linked crs', content: featureCollectionText([GOOD], { crs: { type: 'link', properties: { href: 'http://x/crs' } } }), message: /a link to a CRS definition/ },
      { it: 'refuses a crs member that is not valid JSON', content: `{"type": "FeatureCollection", "features": [], "crs": {name: 4490}}`, message: /"crs" member is not valid JSON/ },
    ];
    for (const { it: title, content, message } of cases) {
      it(title, async () => {
        const path = await dir.write('not-a-collection.geojson', content);
        await expectImportError(() => openGeoJson(path), { file: path, message });
      });
    }
  });

  describe('given a truncated file', () => {
    it('refuses it when opened, naming the feature it ends in and the last complete one', async () => {
      const path = await dir.write('truncated.geojson', truncatedText());
      await expectImportError(() => openGeoJson(path), { file: path, feature: 8, message: /ends in the middle of feature 8: it is truncated \(the last complete feature is 7\)/ });
    });

    it('says so when no feature is complete', async () => {
      const path = await dir.write('truncated-first.geojson', '{"type": "FeatureCollection", "features": [{"type": "Feature", "prop');
      await expectImportError(() => openGeoJson(path), { file: path, feature: 1, message: /\(no feature is complete\)/ });
    });

    it('says so when it ends after the features', async () => {
      const path = await dir.write('truncated-after.geojson', fc().trimEnd().slice(0, -1));
      await expectImportError(() => openGeoJson(path), { file: path, message: /ends before its JSON object does \(after \d+ bytes\): it is truncated/ });
    });
  });

  describe('given a bad third feature', () => {
    const geometry = { feature: 3, field: 'geometry' };
    const cases: { it: string; content: string | Buffer; feature: number; field?: string; message: RegExp }[] = [
      {
        it: 'refuses a feature that is not valid JSON',
        content: fc('{"type": "Feature", "properties": {"DLMC": tru}, "geometry": null}'),
        feature: 3,
        message: /is not valid JSON: .*JSON/, // JSON.parse's message, which varies with the V8 version
      },
      { it: 'refuses an element that is not an object', content: fc(42), feature: 3, message: /is the number 42, not a GeoJSON Feature object/ },
      { it: 'refuses an element that is not a Feature', content: fc(GOOD.geometry), feature: 3, message: /has type "Polygon"; a FeatureCollection holds objects with "type": "Feature"/ },
      {
        it: 'refuses a feature without a geometry member',
        content: fc({ type: 'Feature', properties: { DLMC: '水田' }, geom: GOOD.geometry }),
        ...geometry,
        message: /has no "geometry" member/,
      },
      { it: 'refuses an unknown geometry type', content: withGeometry({ type: 'Polygn', coordinates: [SQUARE] }), ...geometry, message: /type "Polygn", which is not a GeoJSON geometry type/ },
      { it: 'refuses a geometry without type', content: withGeometry({ coordinates: [SQUARE] }), ...geometry, message: /the geometry has no "type" member/ },
      { it: 'refuses a coordinate given as a string', content: withGeometry({ type: 'Point', coordinates: ['116.1', 36] }), ...geometry, message: /coordinates\[0\] is the string "116.1", not a number/ },
      {
        it: 'refuses a null coordinate',
        content: withGeometry({ type: 'Polygon', coordinates: [ring([116, 36], [117, null], [117, 37], [116, 36])] }),
        ...geometry,
        message: /coordinates\[0\]\[1\]\[1\] is null, not a number/,
      },
      {
        it: 'refuses 1e999, which overflows to Infinity',
        content: fc(`{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [116, 1e999]}}`),
        ...geometry,
        message: /coordinates\[1\] is not a finite number \(it overflows to Infinity\)/,
      },
      { it: 'refuses a position without y', content: withGeometry({ type: 'Point', coordinates: [116] }), ...geometry, message: /coordinates has 1 number; a position needs x and y/ },
      {
        it: 'refuses polygon coordinates nested one level too shallow',
        content: withGeometry({ type: 'Polygon', coordinates: SQUARE }),
        ...geometry,
        message: /coordinates\[0\]\[0\] is the number 116, not a position \[x, y\] \(are the coordinates nested one level too shallow\?\)/,
      },
      {
        it: 'refuses multipolygon coordinates nested one level too deep',
        content: withGeometry({ type: 'MultiPolygon', coordinates: [[[SQUARE]]] }),
        ...geometry,
        message: /coordinates\[0\]\[0\]\[0\]\[0\] is an array, not a number \(are the coordinates nested one level too deep\?\)/,
      },
      {
        it: 'refuses a polygon ring of three positions',
        content: withGeometry({ type: 'Polygon', coordinates: [ring([116, 36], [117, 36], [116, 36])] }),
        ...geometry,
        message: /coordinates\[0\] \(a polygon ring\) has 3 positions; it needs at least 4/,
      },
      {
        it: 'refuses a hole that is not closed, in a multipolygon',
        content: withGeometry({ type: 'MultiPolygon', coordinates: [[SQUARE], [SQUARE, ring([116.15, 36.01], [116.15, 36.02], [116.16, 36.02], [116.16, 36.01])]] }),
        ...geometry,
        message: /coordinates\[1\]\[1\] \(a polygon ring\) is not closed: its first position \[116.15, 36.01\] differs from its last \[116.16, 36.01\]/,
      },
      {
        it: 'refuses a line of one position',
        content: withGeometry({ type: 'GeometryCollection', geometries: [{ type: 'LineString', coordinates: [[116, 36]] }] }),
        ...geometry,
        message: /geometries\[0\]\.coordinates \(a line\) has 1 position; it needs at least 2/,
      },
      { it: 'refuses properties that are not an object', content: fc({ type: 'Feature', properties: ['水田'], geometry: null }), feature: 3, field: 'properties', message: /"properties" is an array, not an object/ },
      {
        it: 'refuses an attribute of 1e999, naming the field',
        content: fc('{"type": "Feature", "properties": {"TBMJ": 1e999}, "geometry": null}'),
        feature: 3,
        field: 'TBMJ',
        message: /not a finite number/,
      },
      {
        it: 'refuses text that is not UTF-8 (GBK), naming the field',
        content: Buffer.concat([
          Buffer.from(fc('{"type": "Feature", "properties": {"DLMC": "@@"}, "geometry": null}').split('@@')[0]!),
          Buffer.from([0xcb, 0xae, 0xcc, 0xef]), // 水田 in GBK
          Buffer.from(fc('{"type": "Feature", "properties": {"DLMC": "@@"}, "geometry": null}').split('@@')[1]!),
        ]),
        feature: 3,
        field: 'DLMC',
        message: /not UTF-8.*GBK/,
      },
    ];
    for (const { it: title, content, feature, field, message } of cases) {
      it(title, async () => {
        const path = await dir.write('bad-feature.geojson', content);
        // sampleFeatures: 1 lets the file open; the problem is met while reading.
        await expectImportError(() => readAllFeatures(path, { sampleFeatures: 1 }), { file: path, feature, field, message });
      });
    }

    it('names the feature with a syntax error far into a file of many read chunks', async () => {
      const features: unknown[] = Array.from({ length: 12_000 }, (_, i) => squareFeature({ BSM: String(i + 1), DLMC: '水田' }));
      features[8999] = '{"type": "Feature", "properties": {"BSM": "9000",, "DLMC": "水田"}, "geometry": null}';
      const path = await dir.write('late-syntax-error.geojson', featureCollectionText(features));
      await expectImportError(() => readAllFeatures(path), { file: path, feature: 9000, message: /is not valid JSON: .*JSON/ });
    });

    it('refuses a missing comma between features, without a feature number', async () => {
      const path = await dir.write('missing-comma.geojson', featureCollectionText([`${JSON.stringify(GOOD)} ${JSON.stringify(GOOD)}`]));
      await expectImportError(() => readAllFeatures(path), { file: path, message: /is not valid JSON \(between features, or in a member other than "features"\): Parser cannot parse input/ });
    });

    it('refuses it already when opening, when it is among the sampled features', async () => {
      const path = await dir.write('bad-sampled.geojson', withGeometry({ type: 'Polygn', coordinates: [] }));
      await expectImportError(() => openGeoJson(path), { file: path, feature: 3, field: 'geometry', message: /"Polygn"/ });
    });

    it('names the file by its label', async () => {
      const path = await dir.write('labelled.geojson', withGeometry({ type: 'Polygn', coordinates: [] }));
      await expectImportError(() => openGeoJson(path, { label: 'delivery.zip!/a/labelled.geojson' }), {
        file: 'delivery.zip!/a/labelled.geojson',
        feature: 3,
        field: 'geometry',
        message: /^delivery\.zip!\/a\/labelled\.geojson, feature 3, field geometry: the geometry has type "Polygn"/,
      });
    });
  });
});
