import { expect } from 'chai';
import {
  GAUSS_KRUGER_CRSS,
  gaussKrugerByZonePrefix,
  gaussKrugerTwin,
  matchGaussKruger,
  zoneWidthFromName,
} from '../../../pipeline/crs/cgcs2000-gauss-kruger.js';
import { legacyDatumOfSrid } from '../../../pipeline/crs/legacy-datums.js';
import { sampleFixture } from '../../support/sample-fixture.js';

interface SpatialRefRow {
  srid: number;
  auth_name: string;
  auth_srid: number;
  proj4text: string;
  name: string;
}

/** The first quoted string of srtext: the CRS name. */
const NAME_SQL = `substring(srtext from '^[A-Z_]+\\["([^"]*)"')`;

/** A +key=value of a proj4 string, as a number. */
function proj4Number(proj4: string, key: string): number {
  const match = new RegExp(`\\+${key}=([-\\d.]+)`).exec(proj4);
  if (!match) throw new Error(`no +${key} in ${proj4}`);
  return Number(match[1]);
}

describe('the CGCS2000 Gauss-Kruger table (pipeline/crs/cgcs2000-gauss-kruger)', () => {
  describe('against PostGIS spatial_ref_sys', () => {
    let rows: SpatialRefRow[];
    before(async () => {
      ({ rows } = await sampleFixture().pool.query<SpatialRefRow>(
        `SELECT srid, auth_name, auth_srid, proj4text, ${NAME_SQL} AS name FROM spatial_ref_sys WHERE srid BETWEEN 4491 AND 4554 ORDER BY srid`));
    });

    it('has every code 4491–4554, and only those', () => {
      expect(rows.map((row) => row.srid)).to.deep.equal(GAUSS_KRUGER_CRSS.map((crs) => crs.srid));
      expect(GAUSS_KRUGER_CRSS).to.have.length(64);
    });

    it('has for each code the central meridian (+lon_0), false easting (+x_0) and name of spatial_ref_sys', () => {
      for (const row of rows) {
        const crs = GAUSS_KRUGER_CRSS.find((candidate) => candidate.srid === row.srid)!;
        expect([row.auth_name, row.auth_srid], `EPSG:${row.srid}`).to.deep.equal(['EPSG', row.srid]);
        expect({ centralMeridian: crs.centralMeridian, falseEasting: crs.falseEasting, name: crs.name }, `EPSG:${row.srid}`).to.deep.equal({
          centralMeridian: proj4Number(row.proj4text, 'lon_0'),
          falseEasting: proj4Number(row.proj4text, 'x_0'),
          name: row.name,
        });
        // What the table leaves implicit: every one is the same transverse Mercator otherwise.
        expect(row.proj4text, `EPSG:${row.srid}`).to.match(/^\+proj=tmerc \+lat_0=0 \+lon_0=\d+ \+k=1 \+x_0=\d+ \+y_0=0 \+ellps=GRS80 \+units=m \+no_defs\s*$/);
      }
    });

    it('agrees with the names on zone width and prefix', () => {
      for (const crs of GAUSS_KRUGER_CRSS) {
        expect(crs.name.includes('3-degree'), crs.name).to.equal(crs.zoneWidthDegrees === 3);
        expect(crs.name.includes(`zone ${crs.zone}`), crs.name).to.equal(crs.hasZonePrefix);
        expect(Math.floor(crs.falseEasting / 1e6), crs.name).to.equal(crs.hasZonePrefix ? crs.zone : 0);
      }
    });
  });

  describe('the legacy datum codes, against PostGIS spatial_ref_sys', () => {
    it('are exactly the EPSG codes named Beijing 1954, New Beijing or Xian 1980', async () => {
      const { rows } = await sampleFixture().pool.query<{ srid: number; name: string }>(
        `SELECT srid, ${NAME_SQL} AS name FROM spatial_ref_sys WHERE auth_name = 'EPSG' ORDER BY srid`);
      for (const { srid, name } of rows) {
        const datum = /^(Beijing 1954|New Beijing|Xian 1980)( \/|$)/.exec(name)?.[1];
        expect(legacyDatumOfSrid(srid), `EPSG:${srid} ${name}`).to.equal(datum);
      }
    });
  });

  describe('matchGaussKruger', () => {
    it('names the prefixed CRS from the false easting', () => {
      expect(matchGaussKruger(117, 39_500_000, 'anything')).to.have.nested.property('crs.srid', 4527);
      expect(matchGaussKruger(114, 38_500_000, 'anything')).to.have.nested.property('crs.srid', 4526);
      expect(matchGaussKruger(117, 20_500_000, 'anything')).to.have.nested.property('crs.srid', 4498);
    });

    it('refuses a false easting whose zone has another central meridian', () => {
      expect(matchGaussKruger(114, 39_500_000, '')).to.deep.equal({
        problem: 'false easting 39500000 is that of zone 39 (central meridian 117°E), but the central meridian is 114°E',
      });
    });

    it('refuses a false easting that is no zone', () => {
      expect(matchGaussKruger(117, 24_500_000, '')).to.have.property('problem').that.matches(/false easting 24500000 is neither 500000 nor a zone number/);
      expect(matchGaussKruger(117, 39_500_000.5, '')).to.have.property('problem');
    });

    it('settles a central meridian of both widths by the name, 3° by default', () => {
      expect(matchGaussKruger(117, 500_000, 'CGCS2000_GK_CM_117E')).to.have.nested.property('crs.srid', 4509);
      expect(matchGaussKruger(117, 500_000, 'CGCS2000_3_Degree_GK_CM_117E')).to.have.nested.property('crs.srid', 4548);
      expect(matchGaussKruger(117, 500_000, 'my projection')).to.have.nested.property('crs.srid', 4548);
      // 114 is a multiple of 6, so a 3° central meridian only: the name cannot change that.
      expect(matchGaussKruger(114, 500_000, 'CGCS2000_GK_CM_114E')).to.have.nested.property('crs.srid', 4547);
    });
  });

  describe('zoneWidthFromName', () => {
    for (const [name, width] of [
      ['CGCS2000_3_Degree_GK_Zone_39', 3],
      ['CGCS_2000_3_Degree_GK_CM_117E', 3],
      ['CGCS2000 / 3-degree Gauss-Kruger CM 117E', 3],
      ['CGCS2000_GK_CM_117E', 6],
      ['CGCS2000 / Gauss-Kruger CM 117E', 6],
      ['CGCS2000_6_Degree_GK_CM_117E', 6],
      ['CGCS2000 6度带 117', 6],
      ['CGCS2000_117E', undefined],
      ['CGCS2000_13_Degree', undefined],
    ] as const) {
      it(`reads "${name}" as ${width ?? 'not saying'}`, () => {
        expect(zoneWidthFromName(name)).to.equal(width);
      });
    }
  });

  describe('zone prefixes and twins', () => {
    it('finds the prefixed CRS of a zone number, and the same zone without prefix', () => {
      expect(gaussKrugerByZonePrefix(39)?.srid).to.equal(4527);
      expect(gaussKrugerByZonePrefix(20)?.srid).to.equal(4498);
      expect(gaussKrugerByZonePrefix(24)).to.equal(undefined);
      expect(gaussKrugerTwin(gaussKrugerByZonePrefix(38)!).srid).to.equal(4547);
      expect(gaussKrugerTwin(gaussKrugerByZonePrefix(20)!).srid).to.equal(4509);
    });
  });
});
