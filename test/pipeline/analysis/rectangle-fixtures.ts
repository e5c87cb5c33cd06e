import type { AppConfig } from '../../../core/config/load-config.js';
import type { AttributeColumn } from '../../../core/db/dataset-layout.js';
import type { Pool } from '../../../core/db/pool.js';
import { tileAtPoint, WebMercatorQuad, type TileCoord } from '../../../core/grid/tile-matrix-set.js';
import { withClient } from '../../../core/db/with-client.js';
import { publishFilledVersion } from '../../../pipeline/publish/filled-version.js';
import { silentLogger, testConfig } from '../../support/test-database.js';

/**
 * Fixtures whose overlaps and areas are known exactly: axis-parallel rectangles in CGCS2000
 * 3° Gauss-Kruger zone 39 (EPSG:4527), given in metres from (X0, Y0), a point 0–3 km east of the
 * central meridian (117°E) at 36.5°N, published as versions with the pipeline's own functions
 * (reserve / register / publish, pipeline/publish). Near the central meridian the zone's scale
 * is 1 within 1e-7, and straight lines of the plane are geodesics within micrometres, so the
 * ellipsoidal area of a rectangle is its plane area to better than 0.001 m² per hectare; the
 * overlaps of axis-parallel rectangles are rectangles whose sides are read off the fixture.
 */
export const X0 = 39_500_000;
export const Y0 = 4_040_000;
export const ZONE_SRID = 4527;

/** [x1, y1, x2, y2] in metres from (X0, Y0). */
export type Rect = readonly [number, number, number, number];

export interface RectFeature {
  readonly rect: Rect;
  readonly attributes: Readonly<Record<string, string | number | null>>;
}

export const rectArea = ([x1, y1, x2, y2]: Rect): number => (x2 - x1) * (y2 - y1);

export const LANDUSE_COLUMNS: readonly AttributeColumn[] = [
  { name: 'BSM', type: 'text' },
  { name: 'DLBM', type: 'text' },
  { name: 'DLMC', type: 'text' },
  { name: 'ZLDWDM', type: 'text' },
  { name: 'XZQDM', type: 'text' },
];
export const LINE_COLUMNS: readonly AttributeColumn[] = [{ name: 'BSM', type: 'text' }, { name: 'MJ', type: 'double precision' }];
export const COUNTY_COLUMNS: readonly AttributeColumn[] = [{ name: 'XZQDM', type: 'text' }, { name: 'XZQMC', type: 'text' }];

export const parcel = (bsm: string, dlbm: string, county: string, rect: Rect): RectFeature => ({
  rect,
  attributes: { BSM: bsm, DLBM: dlbm, DLMC: null, ZLDWDM: `${county}1010010000000`, XZQDM: county },
});
export const line = (bsm: string, rect: Rect): RectFeature => ({ rect, attributes: { BSM: bsm, MJ: rectArea(rect) } });
export const county = (code: string, name: string, rect: Rect): RectFeature => ({ rect, attributes: { XZQDM: code, XZQMC: name } });

/** Publishes the features as a new version of `datasetId` and returns its number. */
export async function publishRectangles(
  pool: Pool,
  config: AppConfig,
  datasetId: string,
  columns: readonly AttributeColumn[],
  features: readonly RectFeature[],
): Promise<number> {
  const dataset = config.datasets.find((candidate) => candidate.id === datasetId);
  if (!dataset) throw new Error(`the test configuration declares no dataset "${datasetId}"`);
  return withClient(pool, silentLogger, async (client) => {
    await client.query('BEGIN');
    try {
      const { version } = await publishFilledVersion(client, dataset, columns, async (table) => {
        for (const feature of features) {
          const names = columns.map((column) => `"${column.name}"`);
          const values = columns.map((column) => feature.attributes[column.name] ?? null);
          const placeholders = columns.map((column, i) => `$${i + 5}::${column.type}`);
          const [x1, y1, x2, y2] = feature.rect;
          await client.query(
            `INSERT INTO ${table} (${[...names, 'geom'].join(', ')})
             VALUES (${[...placeholders, `ST_Multi(ST_Transform(ST_MakeEnvelope(${X0} + $1::float8, ${Y0} + $2::float8, ${X0} + $3::float8, ${Y0} + $4::float8, ${ZONE_SRID}), 4490))`].join(', ')})`,
            [x1, y1, x2, y2, ...values],
          );
        }
      });
      await client.query('COMMIT');
      return version;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/** The EPSG:3857 position of a fixture point, for finding the tile that holds it. */
export async function mercatorOf(pool: Pool, x: number, y: number): Promise<[number, number]> {
  const { rows } = await pool.query<{ x: number; y: number }>(
    `SELECT ST_X(p) AS x, ST_Y(p) AS y FROM ST_Transform(ST_SetSRID(ST_MakePoint(${X0} + $1::float8, ${Y0} + $2::float8), ${ZONE_SRID}), 3857) p`,
    [x, y],
  );
  return [rows[0]!.x, rows[0]!.y];
}

/**
 * The project's configuration (config/default.yaml, with its analysis section) on a test
 * database, serving only the derived tilesets: the others name columns the rectangles lack.
 */
export function analysisTestConfig(databaseUrl: string, adjust: (raw: Record<string, unknown>) => void = () => undefined): AppConfig {
  return testConfig(databaseUrl, (raw) => {
    raw.tilesets = (raw.tilesets as { id: string }[]).filter((tileset) => tileset.id === 'conflicts' || tileset.id === 'landuse_changes');
    adjust(raw);
  });
}

/** The deepest Web Mercator tile (z15 or above) holding the whole of `rect`. */
export async function tileHolding(pool: Pool, [x1, y1, x2, y2]: Rect): Promise<TileCoord> {
  const [west, north] = await mercatorOf(pool, x1, y2);
  const [east, south] = await mercatorOf(pool, x2, y1);
  for (let z = 15; z > 0; z--) {
    const a = tileAtPoint(WebMercatorQuad, z, west, north);
    const b = tileAtPoint(WebMercatorQuad, z, east, south);
    if (a.x === b.x && a.y === b.y) return a;
  }
  return { z: 0, x: 0, y: 0 };
}
