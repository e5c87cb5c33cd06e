import { expect } from 'chai';
import { gaussKrugerBySrid } from '../../../pipeline/crs/cgcs2000-gauss-kruger.js';
import { checkCoordinates, expectedEastingRange, ZONE_OVERLAP_DEGREES, type CoordinateBounds } from '../../../pipeline/crs/check-coordinates.js';
import { sampleFixture } from '../../support/sample-fixture.js';

/**
 * Bounds of real places in a CRS, computed by PostGIS: Liaocheng from the suite's sample
 * (live.county, the eight county outlines; 115.27°E–116.55°E, 35.78°N–37.03°N), others from a
 * longitude/latitude box.
 */
async function liaocheng(srid: number): Promise<CoordinateBounds> {
  return boundsOf(`SELECT ST_Extent(ST_Transform(geom, $1::int)) AS box FROM live.county`, [srid]);
}

async function placeIn(srid: number, west: number, south: number, east: number, north: number): Promise<CoordinateBounds> {
  return boundsOf(`SELECT ST_Extent(ST_Transform(ST_Segmentize(ST_MakeEnvelope($2, $3, $4, $5, 4490), 0.05), $1::int)) AS box`, [srid, west, south, east, north]);
}

async function boundsOf(sql: string, params: unknown[]): Promise<CoordinateBounds> {
  const { rows } = await sampleFixture().pool.query<CoordinateBounds>(
    `SELECT ST_XMin(box) AS "minX", ST_YMin(box) AS "minY", ST_XMax(box) AS "maxX", ST_YMax(box) AS "maxY" FROM (${sql}) AS extent`, params);
  return rows[0]!;
}

function swapped(b: CoordinateBounds): CoordinateBounds {
  return { minX: b.minY, minY: b.minX, maxX: b.maxY, maxY: b.maxX };
}

describe('checkCoordinates (pipeline/crs/check-coordinates)', () => {
  describe('given Liaocheng in the CRS it is declared in', () => {
    for (const srid of [4490, 4326, 4526, 4527, 4547, 4548, 4498, 4509]) {
      it(`finds nothing wrong in EPSG:${srid}`, async () => {
        expect(checkCoordinates(srid, await liaocheng(srid))).to.equal(null);
      });
    }

    it('accepts the brief\'s example point, 39 470 000 E / 4 030 000 N in zone 39', () => {
      expect(checkCoordinates(4527, { minX: 39_470_000, minY: 4_030_000, maxX: 39_470_000, maxY: 4_030_000 })).to.equal(null);
    });
  });

  describe('given eastings without the zone number under a prefixed CRS', () => {
    for (const [declared, actual, zone] of [[4527, 4548, 39], [4526, 4547, 38], [4498, 4509, 20]] as const) {
      it(`says ${zone}xxxxxx was expected and names EPSG:${actual}`, async () => {
        expect(checkCoordinates(declared, await liaocheng(actual))).to.match(new RegExp(
          `^EPSG:${declared} \\(.+\\) puts the zone number ${zone} in front of the easting, so eastings ${zone}\\d{6} to ${zone}\\d{6} were expected at these northings; ` +
          `found eastings \\d{6} to \\d{6} and northings 39\\d{5} to 410\\d{4}, without the zone number: the data is probably in EPSG:${actual} \\(`));
      });
    }

    it('quotes the numbers', async () => {
      // 39228758 and 39771242: 114°E and 120°E (117°E ± 1.5° zone ± 1.5° overlap) at 35.791°N, the
      // latitude of the southernmost northing, by ST_Transform in psql.
      expect(checkCoordinates(4527, await liaocheng(4548))).to.equal(
        'EPSG:4527 (CGCS2000 / 3-degree Gauss-Kruger zone 39) puts the zone number 39 in front of the easting, so eastings 39228758 to 39771242 ' +
        'were expected at these northings; found eastings 344583 to 459110 and northings 3962360 to 4100309, without the zone number: ' +
        'the data is probably in EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E)');
    });
  });

  describe('given eastings with the zone number under a CRS without', () => {
    it('names the prefixed CRS', async () => {
      expect(checkCoordinates(4548, await liaocheng(4527))).to.match(
        /^EPSG:4548 \(CGCS2000 \/ 3-degree Gauss-Kruger CM 117E\) has no zone number in front of the easting, so eastings \d{6} to \d{6} were expected at these northings; found eastings 39344583 to 39459110 .*, which carry the zone number 39: the data is probably in EPSG:4527 \(CGCS2000 \/ 3-degree Gauss-Kruger zone 39\)$/);
    });

    it('says when that zone has another central meridian', async () => {
      expect(checkCoordinates(4548, await liaocheng(4526))).to.match(/which carry the zone number 38: the data is probably in EPSG:4526 \(.+\) \(central meridian 114°E, not 117°E\)$/);
    });
  });

  describe('given the zone number of another zone', () => {
    it('names the CRS of that zone', async () => {
      expect(checkCoordinates(4527, await liaocheng(4526))).to.match(/found eastings 38613396 to 38728191 .*, which carry the zone number 38: the data is probably in EPSG:4526 /);
    });

    it('says when the delivery mixes zones 38 and 39', async () => {
      const west = await liaocheng(4526);
      const east = await liaocheng(4527);
      expect(checkCoordinates(4527, { minX: west.minX, minY: east.minY, maxX: east.maxX, maxY: east.maxY })).to.match(
        /, from zone number 38 in the west to zone number 39 in the east: a delivery must be in one zone$/);
    });
  });

  describe('given northings and eastings swapped (survey X = northing)', () => {
    for (const srid of [4527, 4548]) {
      it(`says x and y appear swapped in EPSG:${srid}`, async () => {
        expect(checkCoordinates(srid, swapped(await liaocheng(srid)))).to.match(/^x and y appear swapped: x holds northings and y eastings of EPSG:\d+ .*found x 39\d{5} to 410\d{4}/);
      });
    }
  });

  describe('given latitude and longitude swapped under EPSG:4490', () => {
    it('says they appear swapped', async () => {
      expect(checkCoordinates(4490, swapped(await liaocheng(4490)))).to.match(
        /^latitude and longitude appear swapped: found x 35\.7799 to 37\.0317, y 115\.2655 to 116\.5441, where x must be the longitude \(73°E to 136°E for China\) and y the latitude/);
    });

    it('says so for a latitude beyond 90° outside China too', () => {
      expect(checkCoordinates(4326, { minX: 35.6, minY: 139.6, maxX: 35.8, maxY: 139.9 })).to.match(/^latitude and longitude appear swapped/);
    });
  });

  describe('given metres declared as degrees', () => {
    it('says so, and names the zone the prefix gives', async () => {
      expect(checkCoordinates(4490, await liaocheng(4527))).to.equal(
        'EPSG:4490 (China Geodetic Coordinate System 2000) is longitude/latitude in degrees, but the coordinates reach 39459110, as metres would ' +
        '(x 39344583 to 39459110, y 3962360 to 4100309): they look like Gauss-Kruger eastings with the zone number 39, so the CRS is probably ' +
        'EPSG:4527 (CGCS2000 / 3-degree Gauss-Kruger zone 39)');
    });

    it('says the central meridian cannot be told without a prefix', async () => {
      expect(checkCoordinates(4326, await liaocheng(4548))).to.match(
        /^EPSG:4326 \(WGS 84\) is longitude\/latitude in degrees, .*: they look like Gauss-Kruger eastings without a zone number \(EPSG:4534–4554 for 3° zones, 4502–4512 for 6°, by central meridian, which the coordinates cannot tell\)/);
    });
  });

  describe('given degrees declared as metres', () => {
    it('says so, and names EPSG:4490', async () => {
      expect(checkCoordinates(4527, await liaocheng(4490))).to.equal(
        'EPSG:4527 (CGCS2000 / 3-degree Gauss-Kruger zone 39) is in metres, but the coordinates are all below 1000, as degrees would be ' +
        '(x 115.2655 to 116.5441, y 35.7799 to 37.0317): they look like longitude/latitude, so the CRS is probably EPSG:4490');
    });
  });

  describe('given coordinates outside the zone or outside China', () => {
    it('refuses Taiyuan (112.4°E–112.7°E) in zone 39, saying what the zone covers', async () => {
      expect(checkCoordinates(4527, await placeIn(4527, 112.4, 37.7, 112.7, 38.0))).to.match(
        /^coordinates lie outside the zone of EPSG:4527 \(.+\), which covers 115\.5°E to 118\.5°E \(1\.5° beyond is accepted\), so eastings 39\d{6} to 39\d{6} were expected at these northings; found eastings 390\d{5} to 391\d{5} and northings \d{7} to \d{7}, reaching 112\.\d+°E to 112\.\d+°E$/);
    });

    it('accepts a delivery reaching into the next zone, as Liaocheng in zone 38 does', async () => {
      expect(checkCoordinates(4526, await placeIn(4526, 116.0, 36.0, 116.9, 36.5))).to.equal(null);
      expect(checkCoordinates(4526, await placeIn(4526, 116.0, 36.0, 117.2, 36.5))).to.match(/^coordinates lie outside the zone of EPSG:4526/);
    });

    it('gives a 6° zone its 3° half width', async () => {
      expect(checkCoordinates(4498, await placeIn(4498, 113.0, 36.0, 113.5, 36.5))).to.equal(null);
      expect(checkCoordinates(4498, await placeIn(4498, 112.0, 36.0, 113.5, 36.5))).to.match(/which covers 114°E to 120°E/);
    });

    it('refuses northings north of China', () => {
      expect(checkCoordinates(4527, { minX: 39_400_000, minY: 6_900_000, maxX: 39_500_000, maxY: 7_000_000 })).to.match(
        /^northings 6900000 to 7000000 are at 62\.\d+° to 63\.\d+° latitude, outside China \(3°N to 54°N\)/);
    });

    it('refuses longitude/latitude outside China (Tokyo)', () => {
      expect(checkCoordinates(4490, { minX: 139.6, minY: 35.6, maxX: 139.9, maxY: 35.8 })).to.equal(
        'coordinates lie outside China (longitudes 73°E to 136°E and latitudes 3°N to 54°N expected): found x 139.6 to 139.9, y 35.6 to 35.8');
    });
  });

  describe('given bounds that are not numbers', () => {
    it('says coordinates must be finite, and refuses empty bounds as a caller error', () => {
      expect(checkCoordinates(4527, { minX: NaN, minY: 4_030_000, maxX: NaN, maxY: 4_030_000 })).to.match(/^coordinates must be finite numbers; found x NaN to NaN/);
      expect(() => checkCoordinates(4527, { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity })).to.throw(RangeError, /empty coordinate bounds/);
      expect(() => checkCoordinates(3857, { minX: 0, minY: 0, maxX: 1, maxY: 1 })).to.throw(RangeError, /EPSG:3857 is not a CRS resolveCrs returns/);
    });
  });

  describe('expectedEastingRange, against PostGIS', () => {
    // Zones 38 and 39 and 6° zone 20: the band's edges (central meridian ± half width ± overlap)
    // at the south and north of China and at Liaocheng, transformed by PostGIS.
    for (const srid of [4526, 4527, 4498]) {
      it(`matches ST_Transform of the band's corners in EPSG:${srid}`, async () => {
        const crs = gaussKrugerBySrid(srid)!;
        const reach = crs.zoneWidthDegrees / 2 + ZONE_OVERLAP_DEGREES;
        for (const latitude of [3, 36.4, 54]) {
          const { rows } = await sampleFixture().pool.query<{ west: number; east: number }>(
            `SELECT ST_X(ST_Transform(ST_SetSRID(ST_MakePoint($2::float8, $4::float8), 4490), $1::int)) AS west,
                    ST_X(ST_Transform(ST_SetSRID(ST_MakePoint($3::float8, $4::float8), 4490), $1::int)) AS east`,
            [srid, crs.centralMeridian - reach, crs.centralMeridian + reach, latitude],
          );
          const [west, east] = expectedEastingRange(crs, latitude);
          expect(west, `west at ${latitude}°N`).to.be.closeTo(rows[0]!.west, 0.001);
          expect(east, `east at ${latitude}°N`).to.be.closeTo(rows[0]!.east, 0.001);
        }
      });
    }
  });
});
