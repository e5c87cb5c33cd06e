import { expect } from 'chai';
import { gaussKrugerBySrid } from '../../../pipeline/crs/cgcs2000-gauss-kruger.js';
import { projectGaussKruger, unprojectGaussKruger } from '../../../pipeline/crs/transverse-mercator.js';
import { sampleFixture } from '../../support/sample-fixture.js';

/** 1 mm, and about 1 mm in degrees. */
const TOLERANCE_METRES = 0.001;
const TOLERANCE_DEGREES = 1e-8;

describe('Gauss-Kruger on the CGCS2000 ellipsoid (pipeline/crs/transverse-mercator)', () => {
  // Zones 38 and 39 (Liaocheng), 6° zone 20, and the 6° zone without prefix; points from 3°N to
  // 54°N and up to 4.5° either side of the central meridian (a 6° zone's edge plus the overlap
  // check-coordinates allows).
  for (const srid of [4526, 4527, 4498, 4509]) {
    describe(`given EPSG:${srid}`, () => {
      it('projects and unprojects as PostGIS (PROJ) does, to a millimetre', async () => {
        const crs = gaussKrugerBySrid(srid)!;
        const { rows } = await sampleFixture().pool.query<{ lon: number; lat: number; x: number; y: number }>(
          `SELECT $2::float8 + dlon AS lon, lat::float8 AS lat,
                  ST_X(p) AS x, ST_Y(p) AS y
             FROM generate_series(-4.5, 4.5, 0.75) AS dlon, generate_series(3, 54, 3) AS lat,
                  LATERAL ST_Transform(ST_SetSRID(ST_MakePoint($2::float8 + dlon, lat), 4490), $1::int) AS p`,
          [srid, crs.centralMeridian],
        );
        expect(rows).to.have.length(13 * 18);
        for (const row of rows) {
          const { easting, northing } = projectGaussKruger(row.lon, row.lat, crs);
          expect(easting, `easting of ${row.lon}, ${row.lat}`).to.be.closeTo(row.x, TOLERANCE_METRES);
          expect(northing, `northing of ${row.lon}, ${row.lat}`).to.be.closeTo(row.y, TOLERANCE_METRES);
          const { longitude, latitude } = unprojectGaussKruger(row.x, row.y, crs);
          expect(longitude, `longitude of ${row.x}, ${row.y}`).to.be.closeTo(row.lon, TOLERANCE_DEGREES);
          expect(latitude, `latitude of ${row.x}, ${row.y}`).to.be.closeTo(row.lat, TOLERANCE_DEGREES);
        }
      });
    });
  }
});
