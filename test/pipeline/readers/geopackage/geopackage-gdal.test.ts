import { expect } from 'chai';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openGeoPackage } from '../../../../pipeline/readers/geopackage/open-geopackage.js';
import { geometryBlob } from './geometry-blobs.js';
import { EPSG_4527, MULTI, makeTempDir, readAll, removeTempDir, WITH_HOLE, writeGeoPackage } from './geopackage-files.js';

/**
 * Cross-checks against GDAL's GeoPackage driver (gdal-bin, installed by .ci/run): a GeoPackage
 * that ogr2ogr writes reads back as the GeoJSON it was made from, and a GeoPackage that the tests'
 * own helper writes reads the same through GDAL as through this reader, so the helper's files are
 * GeoPackages to GDAL too, not only to the code they test.
 */

/** `polygon`'s rings reversed: exterior clockwise, hole counter-clockwise. */
function clockwise(polygon: Polygon): Polygon {
  return { type: 'Polygon', coordinates: polygon.coordinates.map((ring) => [...ring].reverse()) };
}

const PARCELS: FeatureCollection<Polygon | MultiPolygon> = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', properties: { BSM: '371502000000000001', DLMC: '水田', TBMJ: 9100.25, SJNF: 2023 }, geometry: WITH_HOLE },
    { type: 'Feature', properties: { BSM: '371502000000000002', DLMC: '农村宅基地', TBMJ: null, SJNF: 2024 }, geometry: MULTI },
    { type: 'Feature', properties: { BSM: '371502000000000003', DLMC: '旱地', TBMJ: 0.5, SJNF: null }, geometry: clockwise(WITH_HOLE) },
  ],
};

function ogr2ogr(...args: string[]): void {
  execFileSync('ogr2ogr', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe('openGeoPackage: cross-checked with GDAL (pipeline/readers/geopackage)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
    const input: FeatureCollection & { crs: unknown } = { ...PARCELS, crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4527' } } };
    await writeFile(join(dir, 'parcels.geojson'), JSON.stringify(input));
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  describe('given a GeoPackage that ogr2ogr wrote from GeoJSON in EPSG:4527', () => {
    it('reads the features it was made from, bit for bit, in RFC 7946 orientation', async () => {
      ogr2ogr('-f', 'GPKG', join(dir, 'dltb.gpkg'), join(dir, 'parcels.geojson'), '-nln', 'dltb');
      const source = await openGeoPackage(join(dir, 'dltb.gpkg'));
      const read = await readAll(source);
      expect(source.crs).to.deep.equal({ kind: 'epsg', code: 4527 });
      expect(source.fields).to.deep.equal([
        { name: 'BSM', type: 'string' },
        { name: 'DLMC', type: 'string' },
        { name: 'TBMJ', type: 'number' },
        { name: 'SJNF', type: 'integer' },
      ]);
      expect(read.map((feature) => feature.properties)).to.deep.equal(PARCELS.features.map((feature) => feature.properties));
      expect(read.map((feature) => feature.geometry)).to.deep.equal([WITH_HOLE, MULTI, WITH_HOLE]);
    });

    it('reads it the same with ArcGIS-style names and promoted multipolygons (OBJECTID, SHAPE)', async () => {
      ogr2ogr('-f', 'GPKG', join(dir, 'dltb.gpkg'), join(dir, 'parcels.geojson'), '-nln', 'DLTB', '-nlt', 'PROMOTE_TO_MULTI', '-lco', 'FID=OBJECTID', '-lco', 'GEOMETRY_NAME=SHAPE');
      const read = await readAll(await openGeoPackage(join(dir, 'dltb.gpkg')));
      expect(read.map((feature) => feature.geometry)).to.deep.equal([
        { type: 'MultiPolygon', coordinates: [WITH_HOLE.coordinates] },
        MULTI,
        { type: 'MultiPolygon', coordinates: [WITH_HOLE.coordinates] },
      ]);
      expect(read.map((feature) => feature.properties.DLMC)).to.deep.equal(['水田', '农村宅基地', '旱地']);
    });
  });

  describe("given a GeoPackage that the tests' helper wrote", () => {
    it('reads the same features as GDAL does', async () => {
      const path = writeGeoPackage(join(dir, 'helper.gpkg'), {
        srs: [EPSG_4527],
        tables: [
          {
            name: 'dltb',
            srsId: 4527,
            columns: [{ name: 'DLMC', type: 'TEXT' }, { name: 'SJNF', type: 'INTEGER' }, { name: 'GXRQ', type: 'DATE' }],
            rows: [
              { geometry: geometryBlob(WITH_HOLE, { srsId: 4527, hasEnvelope: true }), values: { DLMC: '水田', SJNF: 2023, GXRQ: '2023-12-31' } },
              { geometry: geometryBlob(MULTI, { srsId: 4527, isBigEndian: true }), values: { DLMC: '农村宅基地' } },
            ],
          },
        ],
      });
      ogr2ogr('-f', 'GeoJSON', join(dir, 'gdal.geojson'), path);
      const byGdal = JSON.parse(await readFile(join(dir, 'gdal.geojson'), 'utf8')) as FeatureCollection;
      const read = await readAll(await openGeoPackage(path));
      expect(read.map(({ properties, geometry }) => ({ properties, geometry }))).to.deep.equal(
        byGdal.features.map(({ properties, geometry }: Feature) => ({ properties, geometry })),
      );
    });
  });
});
