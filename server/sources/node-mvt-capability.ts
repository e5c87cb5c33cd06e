import type { Pool } from '../../core/db/pool.js';

/** Which encoder makes the vector tiles on this database. */
export type MvtEncoder = 'postgis' | 'node';

/**
 * Asks the database whether ST_AsMVT exists and works, with a one-point tile. PGlite's PostGIS
 * has the function but fails when called ("compiled without protobuf-c support"); a PostGIS
 * without the function at all fails with undefined_function. Either way tiles are encoded in
 * Node. Any other failure (database down) is not a capability answer and is thrown.
 */
export async function detectMvtEncoder(pool: Pool): Promise<MvtEncoder> {
  try {
    const { rows } = await pool.query<{ mvt: Buffer | null }>(
      `SELECT ST_AsMVT(probe, 'probe') AS mvt
         FROM (SELECT ST_AsMVTGeom(ST_Point(1, 1), ST_MakeEnvelope(0, 0, 2, 2)) AS geom) AS probe`,
    );
    return rows[0]?.mvt && rows[0].mvt.length > 0 ? 'postgis' : 'node';
  } catch (error) {
    if (isMissingCapability(error)) return 'node';
    throw error;
  }
}

function isMissingCapability(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const message = error instanceof Error ? error.message : '';
  // 42883 undefined_function; XX000 internal_error is what PostGIS raises for a missing library.
  return code === '42883' || /protobuf/i.test(message);
}
