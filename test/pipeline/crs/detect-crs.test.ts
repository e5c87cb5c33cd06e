import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ImportError } from '../../../core/errors.js';
import { resolveCrs } from '../../../pipeline/crs/detect-crs.js';
import type { CrsHint } from '../../../pipeline/readers/feature-source.js';
import { sampleFixture } from '../../support/sample-fixture.js';

/** A .prj from ./fixtures (see its README for how each was made). */
function prj(name: string): CrsHint {
  return { kind: 'wkt', wkt: readFileSync(new URL(`./fixtures/${name}.prj`, import.meta.url), 'utf8') };
}

const SHAPEFILE = { file: 'imports/landuse/371502/DLTB.shp' };
const GEOJSON = { file: 'imports/plans/stbhhx.geojson' };
const GEOPACKAGE = { file: 'imports/landuse/delivery.gpkg' };

describe('resolveCrs (pipeline/crs/detect-crs)', () => {
  describe('given a .prj as ArcGIS (ESRI), GDAL (WKT1 with AUTHORITY) or WKT2 write it', () => {
    const codes = [
      [4490, 'CGCS2000 longitude/latitude'],
      [4526, '3° zone 38, prefixed'],
      [4527, '3° zone 39, prefixed'],
      [4547, '3° CM 114E'],
      [4548, '3° CM 117E'],
      [4498, '6° zone 20, prefixed'],
      [4509, '6° CM 117E'],
    ] as const;
    for (const flavour of ['esri', 'gdal', 'wkt2']) {
      for (const [code, what] of codes) {
        it(`reads ${flavour}-${code}.prj (${what}) as EPSG:${code}`, () => {
          const resolved = resolveCrs(prj(`${flavour}-${code}`), undefined, SHAPEFILE);
          expect(resolved).to.include({ srid: code, source: 'prj' });
          expect(resolved.description).to.match(new RegExp(`^EPSG:${code} \\(`));
        });
      }
    }

    it('says whether the EPSG code or the parameters decided', () => {
      expect(resolveCrs(prj('gdal-4527'), undefined, SHAPEFILE).description).to.equal(
        'EPSG:4527 (CGCS2000 / 3-degree Gauss-Kruger zone 39), from the EPSG code in the .prj "CGCS2000 / 3-degree Gauss-Kruger zone 39"');
      expect(resolveCrs(prj('esri-4527'), undefined, SHAPEFILE).description).to.equal(
        'EPSG:4527 (CGCS2000 / 3-degree Gauss-Kruger zone 39), from the .prj "CGCS2000_3_Degree_GK_Zone_39" (Gauss_Kruger, central meridian 117°E, false easting 39500000)');
    });
  });

  describe('given a WGS 84 longitude/latitude .prj', () => {
    it('takes it as EPSG:4326, which PostGIS transforms to CGCS2000 without a shift', () => {
      expect(resolveCrs(prj('esri-4326'), undefined, SHAPEFILE)).to.deep.equal({
        srid: 4326,
        source: 'prj',
        description: 'EPSG:4326 (WGS 84), from the .prj "GCS_WGS_1984" (WGS 84 longitude/latitude)',
      });
    });

    it('is safe to accept: PostGIS transforms EPSG:4326 to EPSG:4490 without moving a point (see supported-crs.ts)', async () => {
      const { rows } = await sampleFixture().pool.query<{ x: number; y: number }>(
        'SELECT ST_X(p) AS x, ST_Y(p) AS y FROM ST_Transform(ST_SetSRID(ST_MakePoint(116.123456789, 36.456789012), 4326), 4490) AS p');
      expect(rows[0]).to.deep.equal({ x: 116.123456789, y: 36.456789012 });
    });
  });

  describe('given ArcGIS variants', () => {
    for (const [name, code] of [['arcgis-tm-4548', 4548], ['arcgis-tm-4526', 4526], ['arcgis-vertcs-4548', 4548]] as const) {
      it(`reads ${name}.prj as EPSG:${code}`, () => {
        expect(resolveCrs(prj(name), undefined, SHAPEFILE).srid).to.equal(code);
      });
    }
  });

  describe('given a central meridian shared by a 3° and a 6° zone, without prefix', () => {
    const withName = (name: string): CrsHint => {
      const hint = prj('esri-4548') as { wkt: string };
      return { kind: 'wkt', wkt: hint.wkt.replace('CGCS2000_3_Degree_GK_CM_117E', name) };
    };

    it('takes the width the name states', () => {
      expect(resolveCrs(withName('CGCS2000_6_Degree_GK_CM_117E'), undefined, SHAPEFILE).srid).to.equal(4509);
      expect(resolveCrs(withName('CGCS2000 3度带 117E'), undefined, SHAPEFILE).srid).to.equal(4548);
    });

    it('takes the 3° zone when the name does not say, and says so', () => {
      const resolved = resolveCrs(withName('CGCS2000_117E'), undefined, SHAPEFILE);
      expect(resolved.srid).to.equal(4548);
      expect(resolved.description).to.match(/3° zone assumed, as the name does not say/);
    });
  });

  describe('given Beijing 1954, New Beijing or Xian 1980', () => {
    const cases = [
      ['esri-2415', 'Beijing 1954'],
      ['gdal-2415', 'Beijing 1954'],
      ['wkt2-2415', 'Beijing 1954'],
      ['esri-4214', 'Beijing 1954'],
      ['esri-4775', 'New Beijing'],
      ['esri-2363', 'Xian 1980'],
      ['gdal-2363', 'Xian 1980'],
      ['wkt2-2363', 'Xian 1980'],
      ['esri-4610', 'Xian 1980'],
    ] as const;
    for (const [name, datum] of cases) {
      it(`refuses ${name}.prj, saying it is ${datum} and needs transformation parameters in the dataset config`, () => {
        expect(() => resolveCrs(prj(name), undefined, SHAPEFILE)).to.throw(ImportError,
          new RegExp(`^imports/landuse/371502/DLTB\\.shp: the data is in ${datum} \\(the \\.prj ".+"(, EPSG:\\d+)?; .+ ellipsoid\\), not CGCS2000: it must be given transformation parameters to CGCS2000 in the dataset config`));
      });
    }

    it('refuses their EPSG codes and names too', () => {
      expect(() => resolveCrs({ kind: 'epsg', code: 2415 }, undefined, GEOPACKAGE)).to.throw(ImportError, /the data is in Beijing 1954 \(the GeoPackage srs_id EPSG:2415;/);
      expect(() => resolveCrs({ kind: 'name', name: 'urn:ogc:def:crs:EPSG::2363' }, undefined, GEOJSON)).to.throw(ImportError, /the data is in Xian 1980 \(the crs name "urn:ogc:def:crs:EPSG::2363";/);
    });

    it('goes by the ellipsoid when the names say nothing', () => {
      const hint = prj('esri-2363') as { wkt: string };
      const renamed = hint.wkt.replace('GCS_Xian_1980', 'GCS_Local').replace('D_Xian_1980', 'D_Local').replace('Xian_1980_3_Degree_GK_Zone_39', 'Local');
      expect(() => resolveCrs({ kind: 'wkt', wkt: renamed }, undefined, SHAPEFILE)).to.throw(ImportError, /the data is in Xian 1980 \(the \.prj "Local"; IAG 1975 ellipsoid\)/);
    });
  });

  describe('given a CRS that is not supported', () => {
    it('quotes the name and lists what is supported', () => {
      expect(() => resolveCrs(prj('esri-32650'), undefined, SHAPEFILE)).to.throw(ImportError,
        /: the \.prj "WGS_1984_UTM_Zone_50N" is not supported: WGS 84 is accepted as longitude\/latitude only, not projected; supported are CGCS2000 longitude\/latitude \(EPSG:4490\), .* EPSG:4491–4554 /);
      expect(() => resolveCrs(prj('gdal-32650'), undefined, SHAPEFILE)).to.throw(ImportError, /the \.prj "WGS 84 \/ UTM zone 50N" \(EPSG:32650\) is not supported; supported are/);
    });

    it('says which parameter does not fit a CGCS2000 zone', () => {
      expect(() => resolveCrs(prj('local-cm115.5'), undefined, SHAPEFILE)).to.throw(ImportError,
        /the \.prj "Liaocheng_Independent_CM_115_5" is not supported: central meridian 115\.5°E is not that of a CGCS2000 Gauss-Kruger zone/);
      const scaled = (prj('esri-4527') as { wkt: string }).wkt.replace('"Scale_Factor",1.0', '"Scale_Factor",0.9996');
      expect(() => resolveCrs({ kind: 'wkt', wkt: scaled }, undefined, SHAPEFILE)).to.throw(ImportError, /scaleFactor is 0\.9996, where Gauss-Kruger has 1/);
      const feet = (prj('esri-4527') as { wkt: string }).wkt.replace('UNIT["Meter",1.0]]', 'UNIT["Foot_US",0.3048006096012192]]');
      expect(() => resolveCrs({ kind: 'wkt', wkt: feet }, undefined, SHAPEFILE)).to.throw(ImportError, /unit "Foot_US" \(factor 0\.3048006096012192\) for the coordinates, where metres are expected/);
    });

    it('refuses a definition whose EPSG code and parameters disagree', () => {
      expect(() => resolveCrs(prj('contradicting-4527'), undefined, SHAPEFILE)).to.throw(ImportError,
        /contradicts itself: its EPSG code is EPSG:4527 \(CGCS2000 \/ 3-degree Gauss-Kruger zone 39\), but its parameters \(central meridian 117°E, false easting 500000\) are those of EPSG:4548/);
    });

    it('refuses text that is not WKT, quoting it', () => {
      expect(() => resolveCrs({ kind: 'wkt', wkt: '+proj=tmerc +lon_0=117 +x_0=500000' }, undefined, SHAPEFILE)).to.throw(ImportError,
        /the \.prj is not readable WKT \(expected a keyword at character 1 .*\): "\+proj=tmerc/);
    });
  });

  describe('given a GeoJSON crs name', () => {
    const names = [
      ['urn:ogc:def:crs:EPSG::4527', 4527],
      ['urn:ogc:def:crs:EPSG:9.9.1:4548', 4548],
      ['urn:x-ogc:def:crs:EPSG:4526', 4526],
      ['EPSG:4527', 4527],
      ['http://www.opengis.net/def/crs/EPSG/0/4490', 4490],
      ['urn:ogc:def:crs:OGC:1.3:CRS84', 4326],
      ['http://www.opengis.net/def/crs/OGC/1.3/CRS84', 4326],
      ['urn:ogc:def:crs:EPSG::4326', 4326],
    ] as const;
    for (const [name, code] of names) {
      it(`reads ${name} as EPSG:${code}`, () => {
        expect(resolveCrs({ kind: 'name', name }, undefined, GEOJSON)).to.include({ srid: code, source: 'geojson' });
      });
    }

    it('refuses a name it cannot read, and a code it does not support', () => {
      expect(() => resolveCrs({ kind: 'name', name: 'CGCS2000' }, undefined, GEOJSON)).to.throw(ImportError, /the crs name "CGCS2000" is neither an EPSG code/);
      expect(() => resolveCrs({ kind: 'name', name: 'EPSG:3857' }, undefined, GEOJSON)).to.throw(ImportError, /the crs name "EPSG:3857" is not a supported CRS; supported are/);
    });
  });

  describe('given an EPSG code', () => {
    it('attributes it to the GeoPackage, or to a GeoJSON 2008 "EPSG" crs member', () => {
      expect(resolveCrs({ kind: 'epsg', code: 4527 }, undefined, GEOPACKAGE)).to.include({ srid: 4527, source: 'gpkg' });
      expect(resolveCrs({ kind: 'epsg', code: 4490 }, undefined, GEOJSON)).to.include({ srid: 4490, source: 'geojson' });
      expect(resolveCrs(prj('wkt2-4548'), undefined, { file: 'delivery.zip!/a/delivery.gpkg' })).to.include({ srid: 4548, source: 'gpkg' });
    });
  });

  describe('given no CRS at all', () => {
    it('refuses a shapefile without .prj, naming the dataset config', () => {
      expect(() => resolveCrs(null, undefined, SHAPEFILE)).to.throw(ImportError, /^imports\/landuse\/371502\/DLTB\.shp: no \.prj and no crs in the dataset config: .* set source\.srid in the dataset config/);
      expect(() => resolveCrs(null, {}, SHAPEFILE)).to.throw(ImportError, /no \.prj and no crs in the dataset config/);
    });

    it('takes a GeoJSON file without crs member as WGS 84 (RFC 7946)', () => {
      expect(resolveCrs(null, undefined, GEOJSON)).to.deep.equal({
        srid: 4326,
        source: 'geojson',
        description: 'EPSG:4326 (WGS 84) longitude/latitude: the file has no crs member, so RFC 7946 §4 applies',
      });
    });
  });

  describe('given source.srid in the dataset config', () => {
    it('wins over the .prj, and says the file\'s own declaration is not used', () => {
      expect(resolveCrs(prj('esri-4548'), { srid: 4527 }, SHAPEFILE)).to.deep.equal({
        srid: 4527,
        source: 'config',
        description: 'EPSG:4527 (CGCS2000 / 3-degree Gauss-Kruger zone 39), from the dataset config (source.srid: 4527); what the file itself declares is not used',
      });
    });

    it('stands in for a missing .prj, and overrides even a refused one', () => {
      expect(resolveCrs(null, { srid: 4548 }, SHAPEFILE)).to.include({ srid: 4548, source: 'config' });
      expect(resolveCrs(prj('esri-2415'), { srid: 4527 }, SHAPEFILE)).to.include({ srid: 4527, source: 'config' });
    });

    it('must itself be supported', () => {
      expect(() => resolveCrs(null, { srid: 2415 }, SHAPEFILE)).to.throw(ImportError, /the data is in Beijing 1954 \(the dataset config \(source\.srid: 2415\);/);
      expect(() => resolveCrs(null, { srid: 3857 }, SHAPEFILE)).to.throw(ImportError, /the dataset config \(source\.srid: 3857\) is not a supported CRS/);
    });
  });
});
