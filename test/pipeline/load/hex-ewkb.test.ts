import { expect } from 'chai';
import type { Geometry } from 'geojson';
import type { Pool } from '../../../core/db/pool.js';
import { createHexEwkbWriter, toHexEwkb } from '../../../pipeline/load/hex-ewkb.js';
import { createTestDatabase, openMigratedPool, testConfig, type TestDatabase } from '../../support/test-database.js';

/**
 * The staging table took GeoJSON text parsed by ST_GeomFromGeoJSON; it now takes hex EWKB.
 * Every geometry below must come out of PostGIS byte for byte as the GeoJSON path made it
 * (compared as ST_AsEWKB), so that everything after the COPY sees the same geometry.
 */
const RING = [[39_428_300.125, 4_029_000.5], [39_428_350.001, 4_029_000.5], [39_428_350.001, 4_029_050.999], [39_428_300.125, 4_029_000.5]];
const HOLE = [[39_428_310.5, 4_029_010.25], [39_428_320.5, 4_029_030.25], [39_428_330.5, 4_029_010.25], [39_428_310.5, 4_029_010.25]];
const SHIFTED = RING.map(([x, y]) => [x! + 100, y!]);

const CASES: readonly (readonly [string, Geometry])[] = [
  ['a polygon in Gauss-Kruger metres', { type: 'Polygon', coordinates: [RING] }],
  ['a polygon with a hole', { type: 'Polygon', coordinates: [RING, HOLE] }],
  ['a multi-polygon', { type: 'MultiPolygon', coordinates: [[RING, HOLE], [SHIFTED]] }],
  ['coordinates with 17 significant digits', { type: 'Polygon', coordinates: [[[116.12345678901234, 36.98765432109876], [116.2, 36.1], [116.3, 36.00000000000001], [116.12345678901234, 36.98765432109876]]] }],
  ['a point', { type: 'Point', coordinates: [116.2, 36.4] }],
  ['an empty point', { type: 'Point', coordinates: [] }],
  ['-0 (JSON.stringify writes 0)', { type: 'Point', coordinates: [-0, 36.4] }],
  ['a line string', { type: 'LineString', coordinates: [[1, 2], [3, 4], [5, 6.5]] }],
  ['a multi-point', { type: 'MultiPoint', coordinates: [[1, 2], [3, 4]] }],
  ['a multi-line string', { type: 'MultiLineString', coordinates: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]] }],
  ['a geometry collection', { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [1, 2] }, { type: 'Polygon', coordinates: [RING] }] }],
  ['heights on some positions (3D, the others at Z 0)', { type: 'LineString', coordinates: [[1, 2, 3], [4, 5]] }],
  ['a fourth number (ignored)', { type: 'Polygon', coordinates: [RING.map(([x, y]) => [x!, y!, 7, 9])] }],
  ['a height in one member of a collection', { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [1, 2] }, { type: 'Point', coordinates: [3, 4, 5] }] }],
  ['an empty polygon', { type: 'Polygon', coordinates: [] }],
  ['an empty multi-polygon', { type: 'MultiPolygon', coordinates: [] }],
  ['a multi-polygon of one empty polygon (PostGIS drops it)', { type: 'MultiPolygon', coordinates: [[]] }],
  ['a multi-polygon with an empty and a real polygon (PostGIS keeps both)', { type: 'MultiPolygon', coordinates: [[], [RING]] }],
  ['a collection of empty members', { type: 'GeometryCollection', geometries: [{ type: 'Polygon', coordinates: [] }, { type: 'Point', coordinates: [] }] }],
  ['a collection with an empty multi-polygon and a point', { type: 'GeometryCollection', geometries: [{ type: 'MultiPolygon', coordinates: [[]] }, { type: 'Point', coordinates: [1, 2] }] }],
  ['an empty collection', { type: 'GeometryCollection', geometries: [] }],
  ['an empty 3D-flagged collection member', { type: 'GeometryCollection', geometries: [{ type: 'MultiPolygon', coordinates: [[]] }, { type: 'Point', coordinates: [1, 2, 3] }] }],
];

describe('toHexEwkb (pipeline/load)', () => {
  let database: TestDatabase;
  let pool: Pool;

  before(async () => {
    database = await createTestDatabase('hex_ewkb');
    pool = await openMigratedPool(testConfig(database.url));
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  describe('given one writer for a stream of geometries, small and large', () => {
    it('writes each as it would alone (the reused buffer grows and is only read up to each end)', () => {
      const large: Geometry = { type: 'Polygon', coordinates: [Array.from({ length: 5000 }, (_, i) => [Math.cos((2 * Math.PI * i) / 4999), Math.sin((2 * Math.PI * i) / 4999)])] };
      const sequence = [CASES[0]![1], large, CASES[4]![1], CASES[2]![1]];
      const write = createHexEwkbWriter();
      expect(sequence.map((geometry) => write(geometry, 4490))).to.deep.equal(sequence.map((geometry) => toHexEwkb(geometry, 4490)));
    });
  });

  for (const [name, geometry] of CASES) {
    describe(`given ${name}`, () => {
      it('reads back in PostGIS as ST_SetSRID(ST_GeomFromGeoJSON(...)) of its JSON.stringify', async () => {
        const { rows } = await pool.query<{ fromJson: string; fromWkb: string }>(
          `SELECT encode(ST_AsEWKB(ST_SetSRID(ST_GeomFromGeoJSON($1), $3)), 'hex') AS "fromJson",
                  encode(ST_AsEWKB($2::geometry), 'hex') AS "fromWkb"`,
          [JSON.stringify(geometry), toHexEwkb(geometry, 4527), 4527],
        );
        expect(rows[0]!.fromWkb).to.equal(rows[0]!.fromJson);
      });
    });
  }
});
