import { expect } from 'chai';
import type { Pool } from '../../../core/db/pool.js';
import { stagingTableDdl } from '../../../pipeline/load/copy-to-staging.js';
import { fillWorkTable, workTableDdl } from '../../../pipeline/load/prepare-geometries.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';

/**
 * The work table computes ST_MakeValid only for invalid geometries and the ellipsoidal area
 * once; each row must equal the plain definition, computed here row by row:
 * ST_Multi(ST_CollectionExtract(ST_MakeValid(g), 3)) in the source CRS, transformed to 4490.
 */
const GEOMETRIES: readonly (readonly [string, string | null])[] = [
  ['a valid square', 'POLYGON((39428300 4029000,39428350 4029000,39428350 4029050,39428300 4029050,39428300 4029000))'],
  ['a square with a hole', 'POLYGON((39428300 4029000,39428350 4029000,39428350 4029050,39428300 4029050,39428300 4029000),(39428310 4029010,39428310 4029020,39428320 4029020,39428310 4029010))'],
  ['a valid multi-polygon', 'MULTIPOLYGON(((39428300 4029000,39428310 4029000,39428310 4029010,39428300 4029000)),((39428400 4029000,39428410 4029000,39428410 4029010,39428400 4029000)))'],
  ['a self-intersecting bow tie', 'POLYGON((39428300 4029000,39428350 4029050,39428350 4029000,39428300 4029050,39428300 4029000))'],
  ['a ring touching itself', 'POLYGON((39428300 4029000,39428350 4029000,39428325 4029025,39428350 4029050,39428300 4029050,39428325 4029025,39428300 4029000))'],
  ['a collapsed polygon (a line)', 'POLYGON((39428300 4029000,39428350 4029000,39428300 4029000,39428300 4029000))'],
  ['an empty polygon', 'POLYGON EMPTY'],
  ['no geometry', null],
];

describe('workTableDdl (pipeline/load)', () => {
  let database: TestDatabase;
  let pool: Pool;

  before(async () => {
    database = await createTestDatabase('work_table');
    pool = await openMigratedPool(testConfig(database.url));
    await pool.query(stagingTableDdl('public.staging'));
    for (const [i, [, wkt]] of GEOMETRIES.entries()) {
      await pool.query(
        `INSERT INTO public.staging (source_file, source_srid, feature_index, geom_src, properties)
         VALUES ('f', 4527, $1, ST_GeomFromText($2, 4527), '{}')`,
        [i + 1, wkt],
      );
    }
    await pool.query(workTableDdl('public.work', 'public.staging'));
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  for (const [i, [name]] of GEOMETRIES.entries()) {
    describe(`given ${name}`, () => {
      it('holds the repaired, transformed geometry, the invalid flag and the area of the plain definition', async () => {
        const { rows } = await pool.query<{ same_geom: boolean; same_flag: boolean; same_area: boolean }>(
          `SELECT ST_AsEWKB(w.geom) IS NOT DISTINCT FROM ST_AsEWKB(expected.geom) AS same_geom,
                  w.was_invalid = expected.was_invalid AS same_flag,
                  w.area_m2 IS NOT DISTINCT FROM ST_Area(expected.geom::geography) AS same_area
             FROM public.work w
             JOIN public.staging s USING (feature_index)
             CROSS JOIN LATERAL (
               SELECT s.geom_src IS NOT NULL AND NOT ST_IsValid(s.geom_src) AS was_invalid,
                      CASE WHEN s.geom_src IS NULL OR ST_IsEmpty(s.geom_src) THEN NULL
                           ELSE nullif(ST_Transform(ST_Multi(ST_CollectionExtract(ST_MakeValid(s.geom_src), 3)), 4490), 'SRID=4490;MULTIPOLYGON EMPTY'::geometry) END AS geom
             ) expected
            WHERE feature_index = $1`,
          [i + 1],
        );
        expect(rows[0]).to.deep.equal({ same_geom: true, same_flag: true, same_area: true });
      });
    });
  }

  describe('fillWorkTable (two connections, a half of the rows each)', () => {
    it('makes the same table as workTableDdl, row for row and column for column', async () => {
      const client = await pool.connect();
      try {
        await fillWorkTable(client, pool, silentLogger, 'public.work_in_lanes', 'public.staging');
      } finally {
        client.release();
      }
      const columns = async (table: string) => (await pool.query<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum`, [table],
      )).rows;
      expect(await columns('public.work_in_lanes')).to.deep.equal(await columns('public.work'));
      const { rows } = await pool.query<{ differing: number; rows: number }>(
        `SELECT (SELECT count(*)::int FROM ((TABLE public.work EXCEPT ALL TABLE public.work_in_lanes) UNION ALL (TABLE public.work_in_lanes EXCEPT ALL TABLE public.work)) d) AS differing,
                (SELECT count(*)::int FROM public.work_in_lanes) AS rows`,
      );
      expect(rows[0]).to.deep.equal({ differing: 0, rows: GEOMETRIES.length });
    });
  });
});
