import { expect } from 'chai';
import type { Pool } from '../../../core/db/pool.js';
import { createTestDatabase, openMigratedPool, testConfig, type TestDatabase } from '../../support/test-database.js';
import { X0, Y0, ZONE_SRID } from './rectangle-fixtures.js';

/** CGCS2000 (= GRS80 in a and f). */
const A = 6_378_137;
const E2 = 0.00669438002290;

/**
 * The Gauss-Kruger area scale at easting offset `e` metres from the central meridian, latitude
 * `phi`: k = 1 + e²/2R² + e⁴/24R⁴ with R² = MN, the Gaussian radius; an area on the ellipsoid
 * is the plane area divided by k². An independent check of PostGIS's ellipsoidal area.
 */
function areaScale(e: number, phiDegrees: number): number {
  const sin = Math.sin((phiDegrees * Math.PI) / 180);
  const w = 1 - E2 * sin * sin;
  const n = A / Math.sqrt(w);
  const m = (A * (1 - E2)) / w ** 1.5;
  const r2 = m * n;
  const k = 1 + (e * e) / (2 * r2) + e ** 4 / (24 * r2 * r2);
  return k * k;
}

describe('area and overlay functions (migration 004)', () => {
  let database: TestDatabase;
  let pool: Pool;

  before(async () => {
    database = await createTestDatabase('analysis_area');
    pool = await openMigratedPool(testConfig(database.url));
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  /** meta.area_m2 of a 300 m × 200 m rectangle `offset` metres east of the central meridian. */
  async function rectangleArea(offset: number, method: string): Promise<{ area: number; latitude: number }> {
    const { rows } = await pool.query<{ area: number; latitude: number }>(
      `SELECT meta.area_m2(g, $2) AS area, ST_Y(ST_Centroid(g)) AS latitude
         FROM ST_Transform(ST_MakeEnvelope(${X0} + $1::float8, ${Y0}, ${X0} + $1::float8 + 300, ${Y0} + 200, ${ZONE_SRID}), 4490) g`,
      [offset, method],
    );
    return rows[0]!;
  }

  describe('meta.area_m2(geometry, method)', () => {
    it('gives the plane area in the 3° zone to 0.01 m² with gauss_kruger, near or far from the central meridian', async () => {
      expect((await rectangleArea(100, 'gauss_kruger')).area).to.be.closeTo(60_000, 0.01);
      expect((await rectangleArea(120_000, 'gauss_kruger')).area).to.be.closeTo(60_000, 0.01);
    });

    it('gives the ellipsoidal area: equal to the plane one near the central meridian, smaller by the zone scale far from it', async () => {
      expect((await rectangleArea(100, 'ellipsoid')).area).to.be.closeTo(60_000, 0.01);
      // 120 km east of 117°E is 118.34°E, still in zone 39 (to 118.5°E).
      const far = await rectangleArea(120_000, 'ellipsoid');
      expect(far.area).to.be.closeTo(60_000 / areaScale(120_150, far.latitude), 0.01);
      expect(60_000 - far.area, 'about 0.035 % less at 120 km').to.be.within(19, 24);
    });

    it('is 0 for an empty geometry', async () => {
      const { rows } = await pool.query<{ area: number }>(`SELECT meta.area_m2('MULTIPOLYGON EMPTY'::geometry, 'ellipsoid') AS area`);
      expect(rows[0]!.area).to.equal(0);
    });
  });

  describe('meta.overlay_in_zone(a, b, is_difference, grid_m)', () => {
    // Two rectangles sharing part of an edge, 300 m long: in degrees the shared edge is not straight
    // (1.2 mm apart at its middle), in the zone it is.
    const parcel = `ST_Transform(ST_MakeEnvelope(${X0} + 100, ${Y0}, ${X0} + 300, ${Y0} + 100, ${ZONE_SRID}), 4490)`;
    const farmland = `ST_Transform(ST_MakeEnvelope(${X0} + 200, ${Y0} + 100, ${X0} + 500, ${Y0} + 400, ${ZONE_SRID}), 4490)`;

    it('finds no overlap between polygons that only share an edge, where an overlay in degrees finds a sliver', async () => {
      const { rows } = await pool.query<{ zone: boolean; degrees: number }>(
        `SELECT ST_IsEmpty(meta.overlay_in_zone(${parcel}, ${farmland}, false, 0.001)) AS zone,
                ST_Area(ST_Intersection(${parcel}, ${farmland})::geography) AS degrees`,
      );
      expect(rows[0]!.zone).to.equal(true);
      expect(rows[0]!.degrees).to.be.greaterThan(0.01);
    });

    it('leaves the whole polygon as the difference', async () => {
      const { rows } = await pool.query<{ area: number; type: string; srid: number }>(
        `SELECT meta.area_m2(d, 'gauss_kruger') AS area, GeometryType(d) AS type, ST_SRID(d) AS srid
           FROM meta.overlay_in_zone(${parcel}, ${farmland}, true, 0.001) d`,
      );
      expect(rows[0]).to.deep.include({ type: 'MULTIPOLYGON', srid: 4490 });
      expect(rows[0]!.area).to.be.closeTo(20_000, 0.01);
    });
  });
});
