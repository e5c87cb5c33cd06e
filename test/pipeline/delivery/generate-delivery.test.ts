import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import iconv from 'iconv-lite';
import type { Polygon, MultiPolygon, Position } from 'geojson';
import { loadSandiaoClasses } from '../../../core/classification/sandiao-classes.js';
import { COUNTY_WITHOUT_CPG, LEGACY_CRS_COUNTY } from '../../../pipeline/delivery/generate-delivery.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { generateInTemp, LIAOCHENG_COUNTIES, listFiles, readGeoJson, readShapefile, ZONE_38_COUNTIES, type GeneratedDelivery } from './read-delivery.js';

const PARCELS = 2000;
const LAYER_FILES = ['CZKFBJ', 'DLTB', 'GHFQ', 'STBHHX', 'YJJBNT'];
const DBF_LANGUAGE_DRIVER_OFFSET = 29;

function zoneOf(county: string): number {
  return ZONE_38_COUNTIES.includes(county) ? 4526 : 4527;
}

function positions(geometry: unknown): Position[] {
  const shape = geometry as Polygon | MultiPolygon;
  return shape.type === 'Polygon' ? shape.coordinates.flat() : shape.coordinates.flat(2);
}

describe('generateDelivery (pipeline/delivery)', function () {
  this.timeout(120_000);
  let delivery: GeneratedDelivery;

  before(async () => {
    delivery = await generateInTemp(sampleFixture().pool, { parcels: PARCELS, seed: 'delivery-test', format: 'all', layers: ['landuse', 'stbhhx', 'yjjbnt', 'czkfbj', 'ghfq'] });
  });

  after(async () => {
    await delivery?.remove();
  });

  describe('given --format all', () => {
    it('writes one folder per county with a Shapefile set (.cpg but in 371526) and GeoJSON per layer, and DLTB_4527.geojson in 371502', async () => {
      const files = await listFiles(delivery.dir);
      const expected = LIAOCHENG_COUNTIES.flatMap((county) => [
        ...LAYER_FILES.flatMap((layer) => ['shp', 'shx', 'dbf', 'prj', ...(county === COUNTY_WITHOUT_CPG ? [] : ['cpg']), 'geojson'].map((ext) => `${county}/${layer}.${ext}`)),
        ...(county === LEGACY_CRS_COUNTY ? [`${county}/DLTB_4527.geojson`] : []),
      ]).sort();
      expect(files).to.deep.equal(expected);
    });

    it('makes about the requested number of parcels', () => {
      const parcels = delivery.result.layers.filter((layer) => layer.layer === 'landuse').reduce((sum, layer) => sum + layer.features, 0);
      expect(parcels).to.be.within(PARCELS * 0.95, PARCELS * 1.1);
    });
  });

  describe('the DLTB Shapefiles', () => {
    it('declare in their .prj the county\'s zone, EPSG:4526 for 冠县 and 莘县 and 4527 for the others, and hold zone-prefixed eastings', async () => {
      for (const county of LIAOCHENG_COUNTIES) {
        const read = await readShapefile(join(delivery.dir, county, 'DLTB.shp'));
        expect(read.srid, county).to.equal(zoneOf(county));
        const prefix = zoneOf(county) === 4526 ? 38 : 39;
        for (const [x] of read.features.flatMap((feature) => positions(feature.geometry))) {
          expect(Math.floor(x! / 1e6), county).to.equal(prefix);
        }
      }
    });

    it('state every coordinate to the millimetre', async () => {
      const read = await readShapefile(join(delivery.dir, '371502', 'DLTB.shp'));
      for (const [x, y] of read.features.flatMap((feature) => positions(feature.geometry))) {
        expect(Math.abs(x! * 1000 - Math.round(x! * 1000))).to.be.below(1e-4);
        expect(Math.abs(y! * 1000 - Math.round(y! * 1000))).to.be.below(1e-4);
      }
    });

    it('are GBK with a .cpg, and 371526 without .cpg or language driver is detected and read exactly', async () => {
      const marked = await readShapefile(join(delivery.dir, '371502', 'DLTB.shp'));
      expect(marked.encoding).to.include({ origin: 'cpg', declared: 'GBK' });
      const unmarked = await readShapefile(join(delivery.dir, COUNTY_WITHOUT_CPG, 'DLTB.shp'));
      expect(unmarked.encoding).to.include({ origin: 'detected' });
      const dbf = await readFile(join(delivery.dir, COUNTY_WITHOUT_CPG, 'DLTB.dbf'));
      expect(dbf[DBF_LANGUAGE_DRIVER_OFFSET]).to.equal(0);
      const classes = loadSandiaoClasses();
      for (const { properties } of unmarked.features) {
        expect(classes.get(properties.DLBM as string)?.name).to.equal(properties.DLMC);
        expect(properties.ZLDWMC).to.match(/^[\u4e00-\u9fff]{2}村民委员会$/);
        // The bytes on disk are GBK's.
        expect(dbf.includes(iconv.encode(properties.ZLDWMC as string, 'gbk'))).to.equal(true);
      }
    });

    it('hold the same attributes as the UTF-8 GeoJSON of the same county', async () => {
      for (const county of [COUNTY_WITHOUT_CPG, '371522']) {
        const shapefile = await readShapefile(join(delivery.dir, county, 'DLTB.shp'));
        const geojson = await readGeoJson(join(delivery.dir, county, 'DLTB.geojson'));
        expect(shapefile.features.map((feature) => feature.properties)).to.deep.equal(geojson.features.map((feature) => feature.properties));
      }
    });

    it('state TBMJ as the ellipsoidal area of the rounded parcel, and TBDLMJ + KCMJ = TBMJ', async () => {
      for (const county of LIAOCHENG_COUNTIES) {
        const read = await readShapefile(join(delivery.dir, county, 'DLTB.shp'));
        const { rows } = await sampleFixture().pool.query<{ worst: number; worst_split: number }>(
          `SELECT max(abs(f.tbmj - ST_Area(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(f.geometry), $4), 4490)::geography))) AS worst,
                  max(abs(f.tbdlmj + f.kcmj - f.tbmj)) AS worst_split
             FROM unnest($1::text[], $2::float8[], $3::float8[], $5::float8[]) AS f(geometry, tbmj, tbdlmj, kcmj)`,
          [read.features.map((feature) => JSON.stringify(feature.geometry)), read.features.map((feature) => feature.properties.TBMJ),
            read.features.map((feature) => feature.properties.TBDLMJ), zoneOf(county), read.features.map((feature) => feature.properties.KCMJ)],
        );
        expect(rows[0]!.worst, county).to.be.below(0.0051);
        expect(rows[0]!.worst_split, county).to.be.below(0.011);
      }
    });
  });

  describe('the GeoJSON files', () => {
    it('are RFC 7946: EPSG:4490 longitude/latitude with no crs member, outer rings counter-clockwise', async () => {
      const read = await readGeoJson(join(delivery.dir, '371525', 'DLTB.geojson'));
      expect(read.crs).to.equal(null);
      const geometries = read.features.map((feature) => feature.geometry as Polygon | MultiPolygon);
      for (const [lon, lat] of geometries.flatMap(positions)) {
        expect(lon).to.be.within(115, 116.8);
        expect(lat).to.be.within(35.7, 37.1);
      }
      for (const geometry of geometries) {
        const outerRings = geometry.type === 'Polygon' ? [geometry.coordinates[0]!] : geometry.coordinates.map((polygon) => polygon[0]!);
        for (const ring of outerRings) expect(signedArea(ring)).to.be.above(0);
      }
    });

    it('and 371502\'s DLTB_4527.geojson names EPSG:4527 in a legacy crs member and holds the Shapefile\'s coordinates', async () => {
      const legacy = await readGeoJson(join(delivery.dir, LEGACY_CRS_COUNTY, 'DLTB_4527.geojson'));
      expect(legacy.crs).to.deep.equal({ kind: 'name', name: 'urn:ogc:def:crs:EPSG::4527' });
      expect(legacy.srid).to.equal(4527);
      const shapefile = await readShapefile(join(delivery.dir, LEGACY_CRS_COUNTY, 'DLTB.shp'));
      expect(legacy.features.map((feature) => feature.properties)).to.deep.equal(shapefile.features.map((feature) => feature.properties));
      const sorted = (geometry: unknown) => positions(geometry).map(([x, y]) => `${x},${y}`).sort();
      legacy.features.forEach((feature, i) => expect(sorted(feature.geometry)).to.deep.equal(sorted(shapefile.features[i]!.geometry)));
    });
  });

  describe('given the same seed and size again', () => {
    it('writes byte-identical files; another seed writes other parcels', async () => {
      const again = await generateInTemp(sampleFixture().pool, { parcels: PARCELS, seed: 'delivery-test', format: 'all', layers: ['landuse', 'stbhhx', 'yjjbnt', 'czkfbj', 'ghfq'] });
      const other = await generateInTemp(sampleFixture().pool, { parcels: PARCELS, seed: 'another-seed', format: 'shapefile', layers: ['landuse'] });
      try {
        const files = await listFiles(delivery.dir);
        expect(await listFiles(again.dir)).to.deep.equal(files);
        for (const file of files) {
          expect((await readFile(join(again.dir, file))).equals(await readFile(join(delivery.dir, file))), file).to.equal(true);
        }
        const dbf = 'DLTB.dbf';
        expect((await readFile(join(other.dir, '371502', dbf))).equals(await readFile(join(delivery.dir, '371502', dbf)))).to.equal(false);
      } finally {
        await again.remove();
        await other.remove();
      }
    });
  });
});

/** Twice the signed area of a ring in longitude/latitude; positive counter-clockwise. */
function signedArea(ring: readonly Position[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) sum += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!;
  return sum;
}
