import { loadSandiaoClasses } from '../../../core/classification/sandiao-classes.js';
import type { Pool } from '../../../core/db/pool.js';

/** A parcel of the sample whose interior point is far from any edge: its pixel there is its class colour. */
export interface KnownParcel {
  readonly fid: number;
  readonly classCode: string;
  readonly rgb: readonly [number, number, number];
  /** ST_PointOnSurface of the parcel, in degrees (EPSG:4490). */
  readonly lon: number;
  readonly lat: number;
  /** The same point in EPSG:3857 metres. */
  readonly x3857: number;
  readonly y3857: number;
}

/**
 * Parcels of distinct classes with a colour whose interior point (ST_PointOnSurface) lies at
 * least `clearanceMetres` inside the parcel, away from county boundaries (drawn over parcels)
 * and not covered by another parcel. Read from the sample fixture in fid order: the same
 * parcels on every run.
 */
export async function knownParcels(pool: Pool, count: number, clearanceMetres: number): Promise<KnownParcel[]> {
  const classes = loadSandiaoClasses();
  const { rows } = await pool.query<{ fid: number; code: string; lon: number; lat: number; x: number; y: number }>(
    // County edges are long lines: compared once in EPSG:3857, where a distance on the ground
    // at latitude φ is 1/cos φ times longer (the Mercator scale), rather than as geography.
    `WITH county_edges AS MATERIALIZED (
       SELECT ST_Transform(ST_Boundary(geom), 3857) AS edge FROM live.county
     ), clear AS MATERIALIZED (
       SELECT p.fid, p."DLBM" AS code, ST_PointOnSurface(p.geom) AS point
         FROM live.landuse p
        WHERE p.fid IN (SELECT fid FROM live.landuse ORDER BY fid LIMIT 300)
          AND ST_Distance(ST_PointOnSurface(p.geom)::geography, ST_Boundary(p.geom)::geography) > $1
     )
     SELECT c.fid, c.code, ST_X(c.point) AS lon, ST_Y(c.point) AS lat,
            ST_X(ST_Transform(c.point, 3857)) AS x, ST_Y(ST_Transform(c.point, 3857)) AS y
       FROM clear c
      WHERE NOT EXISTS (
              SELECT 1 FROM county_edges k
               WHERE ST_DWithin(ST_Transform(c.point, 3857), k.edge, ($1 + 100) / cos(radians(ST_Y(c.point)))))
        AND NOT EXISTS (SELECT 1 FROM live.landuse o WHERE o.fid <> c.fid AND ST_Intersects(o.geom, c.point))
      ORDER BY c.fid`,
    [clearanceMetres],
  );
  const parcels: KnownParcel[] = [];
  for (const row of rows) {
    const rgb = classes.get(row.code)?.rgb;
    if (!rgb || parcels.some((parcel) => parcel.classCode === row.code)) continue;
    parcels.push({ fid: row.fid, classCode: row.code, rgb, lon: row.lon, lat: row.lat, x3857: row.x, y3857: row.y });
    if (parcels.length === count) break;
  }
  if (parcels.length < count) throw new Error(`the sample has only ${parcels.length} parcels of distinct classes with ${clearanceMetres} m clearance`);
  return parcels;
}
