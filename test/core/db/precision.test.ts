import { expect } from 'chai';
import { loadConfig } from '../../../core/config/load-config.js';
import {
  CANONICAL_SRID,
  mercatorColumnName,
  qualifiedLiveView,
  qualifiedVersionTable,
  versionTableDdl,
} from '../../../core/db/dataset-layout.js';
import type { PoolClient } from '../../../core/db/pool.js';
import {
  CGCS2000Quad,
  WebMercatorQuad,
  tileAtPoint,
  tileBounds,
  tileSpan,
  type TileMatrixSet,
} from '../../../core/grid/tile-matrix-set.js';
import { COUNTY_SAMPLE_DATASET } from '../../../pipeline/sample/generate-sample.js';
import { sampleFixture } from '../../support/sample-fixture.js';

/**
 * Does the canonical storage (EPSG:4490, double precision, with a generated EPSG:3857 copy)
 * keep survey coordinates, and are the tiles fine enough for them? Checked on the project's
 * own table layout in a scratch dataset, inside a transaction that is rolled back, so the
 * shared sample database is left as it was.
 */
const SCRATCH_DATASET = 'precision_check';
const PARCEL_VERSION = 1;
const POINT_VERSION = 2;

/** Liaocheng lies between these latitudes (the county outlines of data/reference). */
const LIAOCHENG_SOUTH_DEGREES = 36.0;
const LIAOCHENG_NORTH_DEGREES = 37.1;

/** What a tile unit may measure on the ground: half a metre, the 1:2000 plotting accuracy. */
const MAX_TILE_UNIT_METRES = 0.5;

/**
 * Parcels as a surveyor delivers them: 3-degree Gauss-Kruger coordinates with the zone number
 * in front of the easting (false easting zone x 1,000,000 + 500,000), to the millimetre, in
 * two Liaocheng counties on either side of 115.5°E, one of them with a courtyard hole.
 */
const PARCELS = [
  {
    label: 'zone 39',
    srid: 4527, // CGCS2000 / 3-degree Gauss-Kruger zone 39, central meridian 117°E
    wkt:
      'POLYGON((39410000.123 4036000.456,39410250.789 4036000.012,39410250.001 4036400.999,39410000.5 4036400.25,39410000.123 4036000.456),' +
      '(39410100.001 4036100.002,39410100.003 4036150.997,39410150.999 4036150.998,39410100.001 4036100.002))',
  },
  {
    label: 'zone 38',
    srid: 4526, // CGCS2000 / 3-degree Gauss-Kruger zone 38, central meridian 114°E
    wkt: 'POLYGON((38630000.321 4038000.654,38630180.987 4038000.111,38630180.222 4038300.876,38630000.999 4038300.333,38630000.321 4038000.654))',
  },
] as const;

/** A longitude and latitude with detail at the ninth decimal, which single precision would lose. */
const FINE_POINT = { lon: 115.987654321, lat: 36.456789123 } as const;

describe('coordinate precision of the canonical storage (core/db/dataset-layout)', () => {
  let client: PoolClient;

  before(async () => {
    client = await sampleFixture().pool.connect();
    await client.query('BEGIN');
    await client.query(versionTableDdl(SCRATCH_DATASET, PARCEL_VERSION, [{ name: 'label', type: 'text' }]));
    await client.query(versionTableDdl(SCRATCH_DATASET, POINT_VERSION, [], 'MultiPoint'));
    for (const parcel of PARCELS) {
      await client.query(
        `INSERT INTO ${qualifiedVersionTable(SCRATCH_DATASET, PARCEL_VERSION)} (label, geom)
         VALUES ($1, ST_Multi(ST_Transform(ST_GeomFromText($2, $3::int), ${CANONICAL_SRID})))`,
        [parcel.label, parcel.wkt, parcel.srid],
      );
    }
    await client.query(
      `INSERT INTO ${qualifiedVersionTable(SCRATCH_DATASET, POINT_VERSION)} (geom)
       VALUES (ST_Multi(ST_SetSRID(ST_MakePoint($1::float8, $2::float8), ${CANONICAL_SRID})))`,
      [FINE_POINT.lon, FINE_POINT.lat],
    );
  });

  after(async () => {
    if (!client) return;
    await client.query('ROLLBACK');
    client.release();
  });

  for (const parcel of PARCELS) {
    describe(`given a parcel surveyed in Gauss-Kruger ${parcel.label} (EPSG:${parcel.srid})`, () => {
      const table = qualifiedVersionTable(SCRATCH_DATASET, PARCEL_VERSION);

      it('stores it in EPSG:4490 where it is: inside a Liaocheng county of the sample', async () => {
        const { rows } = await client.query<{ srid: number; county: string | null }>(
          `SELECT ST_SRID(p.geom) AS srid,
                  (SELECT c."XZQMC" FROM ${qualifiedLiveView(COUNTY_SAMPLE_DATASET)} c WHERE ST_Within(p.geom, c.geom)) AS county
             FROM ${table} p WHERE p.label = $1`,
          [parcel.label],
        );
        expect(rows).to.have.length(1);
        expect(rows[0]!.srid).to.equal(CANONICAL_SRID);
        expect(rows[0]!.county, 'the zone prefix of the easting was understood').to.be.a('string');
      });

      it(`reads it back in EPSG:${parcel.srid} with every vertex less than 1 mm from where it was surveyed`, async () => {
        const { rows } = await client.query<{ vertices: string; max_metres: number }>(
          `SELECT count(*) AS vertices, max(ST_Distance(surveyed.geom, stored.geom)) AS max_metres
             FROM ST_DumpPoints(ST_Multi(ST_GeomFromText($2, $3::int))) AS surveyed
             JOIN ST_DumpPoints((SELECT ST_Transform(geom, $3::int) FROM ${table} WHERE label = $1)) AS stored USING (path)`,
          [parcel.label, parcel.wkt, parcel.srid],
        );
        expect(Number(rows[0]!.vertices), 'every vertex is compared').to.equal(vertexCount(parcel.wkt));
        expect(rows[0]!.max_metres).to.be.below(0.001);
      });

      it('keeps its stored EPSG:3857 copy within 1e-9 degrees of the canonical geometry', async () => {
        const { rows } = await client.query<{ vertices: string; max_degrees: number }>(
          `SELECT count(*) AS vertices, max(ST_Distance(canonical.geom, copy.geom)) AS max_degrees
             FROM ST_DumpPoints((SELECT geom FROM ${table} WHERE label = $1)) AS canonical
             JOIN ST_DumpPoints((SELECT ST_Transform(${mercatorColumnName('geom')}, ${CANONICAL_SRID}) FROM ${table} WHERE label = $1)) AS copy USING (path)`,
          [parcel.label],
        );
        expect(Number(rows[0]!.vertices), 'every vertex is compared').to.equal(vertexCount(parcel.wkt));
        expect(rows[0]!.max_degrees).to.be.below(1e-9);
      });
    });
  }

  describe('given a coordinate with 1e-9 degree detail', () => {
    it('is a coordinate whose detail a single-precision column would lose', () => {
      expect(Math.abs(Math.fround(FINE_POINT.lon) - FINE_POINT.lon)).to.be.above(1e-9);
      expect(Math.abs(Math.fround(FINE_POINT.lat) - FINE_POINT.lat)).to.be.above(1e-9);
    });

    it('survives storage exactly (the canonical column keeps double precision)', async () => {
      const { rows } = await client.query<{ x: number; y: number; is_exact: boolean }>(
        `SELECT ST_X(ST_GeometryN(geom, 1)) AS x, ST_Y(ST_GeometryN(geom, 1)) AS y,
                ST_X(ST_GeometryN(geom, 1)) = $1::float8 AND ST_Y(ST_GeometryN(geom, 1)) = $2::float8 AS is_exact
           FROM ${qualifiedVersionTable(SCRATCH_DATASET, POINT_VERSION)}`,
        [FINE_POINT.lon, FINE_POINT.lat],
      );
      expect(rows).to.have.length(1);
      expect(rows[0]!.is_exact).to.equal(true);
      expect([rows[0]!.x, rows[0]!.y]).to.deep.equal([FINE_POINT.lon, FINE_POINT.lat]);
    });
  });

  describe('given each tileset of config/default.yaml at its maxzoom', () => {
    const config = loadConfig({});
    const grids: readonly TileMatrixSet[] = [WebMercatorQuad, CGCS2000Quad];

    it('takes the tile spans and units from the grid module, which match their definitions', () => {
      // Independent values: the Web Mercator world is 2π x 6378137 m wide; a degree of the
      // CGCS2000 equator is 2π x 6378137 / 360 m.
      expect(tileSpan(WebMercatorQuad, 16)).to.be.closeTo((2 * Math.PI * 6378137) / 65536, 1e-9);
      expect(WebMercatorQuad.metresPerUnit).to.equal(1);
      expect(tileSpan(CGCS2000Quad, 16)).to.equal(180 / 65536);
      expect(CGCS2000Quad.metresPerUnit).to.be.closeTo(111319.49079327357, 1e-9);
    });

    for (const tileset of config.tilesets) {
      for (const grid of grids) {
        describe(`given tileset "${tileset.id}" in ${grid.id}, z${tileset.maxzoom}, extent ${tileset.extent}`, () => {
          it(`has tile units of at most ${MAX_TILE_UNIT_METRES} m on the ground across Liaocheng's latitudes`, () => {
            for (const latitude of [LIAOCHENG_SOUTH_DEGREES, LIAOCHENG_NORTH_DEGREES]) {
              const unit = groundMetresPerTileUnit(grid, tileset.maxzoom, tileset.extent, latitude);
              expect(unit.eastWest, `east-west at ${latitude}°N`).to.be.at.most(MAX_TILE_UNIT_METRES);
              expect(unit.northSouth, `north-south at ${latitude}°N`).to.be.at.most(MAX_TILE_UNIT_METRES);
            }
          });

          it('sizes tile units as PostGIS measures them on the CGCS2000 ellipsoid, to 1 %', async () => {
            const measured = await measureTileUnit(client, grid, tileset.maxzoom, tileset.extent, LIAOCHENG_SOUTH_DEGREES);
            const computed = groundMetresPerTileUnit(grid, tileset.maxzoom, tileset.extent, measured.latitude);
            expect(computed.eastWest).to.be.closeTo(measured.eastWest, measured.eastWest * 0.01);
            expect(computed.northSouth).to.be.closeTo(measured.northSouth, measured.northSouth * 0.01);
          });
        });
      }
    }
  });
});

/** Vertices of a WKT polygon, closing ones included: one more than its commas. */
function vertexCount(wkt: string): number {
  return (wkt.match(/,/g)?.length ?? 0) + 1;
}

/**
 * Ground size of one MVT tile unit at a latitude. Web Mercator shrinks both axes by
 * cos(latitude); in geographic degrees only the east-west one shrinks.
 */
function groundMetresPerTileUnit(grid: TileMatrixSet, z: number, extent: number, latitudeDegrees: number): { eastWest: number; northSouth: number } {
  const spanMetres = tileSpan(grid, z) * grid.metresPerUnit;
  const shrink = Math.cos((latitudeDegrees * Math.PI) / 180);
  const isGeographic = grid.srid === CANONICAL_SRID;
  return {
    eastWest: (spanMetres * shrink) / extent,
    northSouth: (isGeographic ? spanMetres : spanMetres * shrink) / extent,
  };
}

/**
 * Geodesic size of one tile unit of the tile at `latitudeDegrees`, 116°E: its south edge and
 * its west edge measured with geography on the ellipsoid, divided by the extent; and the
 * latitude of the tile's south edge, where the east-west size was measured.
 */
async function measureTileUnit(
  client: PoolClient,
  grid: TileMatrixSet,
  z: number,
  extent: number,
  latitudeDegrees: number,
): Promise<{ eastWest: number; northSouth: number; latitude: number }> {
  const { rows: [point] } = await client.query<{ x: number; y: number }>(
    `SELECT ST_X(p) AS x, ST_Y(p) AS y FROM ST_Transform(ST_SetSRID(ST_MakePoint(116, $1::float8), ${CANONICAL_SRID}), $2::int) AS p`,
    [latitudeDegrees, grid.srid],
  );
  const [minX, minY, maxX, maxY] = tileBounds(grid, tileAtPoint(grid, z, point!.x, point!.y));
  const { rows: [size] } = await client.query<{ east_west: number; north_south: number; latitude: number }>(
    `WITH corner AS (
       SELECT ST_Transform(ST_SetSRID(ST_MakePoint(x, y), $5::int), ${CANONICAL_SRID}) AS geom, name
         FROM (VALUES ($1::float8, $2::float8, 'south-west'), ($3::float8, $2::float8, 'south-east'),
                      ($1::float8, $4::float8, 'north-west')) AS c(x, y, name)
     )
     SELECT ST_Distance(sw.geom::geography, se.geom::geography) / $6 AS east_west,
            ST_Distance(sw.geom::geography, nw.geom::geography) / $6 AS north_south,
            ST_Y(sw.geom) AS latitude
       FROM corner sw, corner se, corner nw
      WHERE sw.name = 'south-west' AND se.name = 'south-east' AND nw.name = 'north-west'`,
    [minX, minY, maxX, maxY, grid.srid, extent],
  );
  expect(size, 'PostGIS measured the tile').to.not.equal(undefined);
  expect(size!.latitude).to.be.closeTo(latitudeDegrees, 0.01);
  return { eastWest: size!.east_west, northSouth: size!.north_south, latitude: size!.latitude };
}
