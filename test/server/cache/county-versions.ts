import { qualifiedVersionTable, versionTableDdl } from '../../../core/db/dataset-layout.js';
import type { Pool } from '../../../core/db/pool.js';
import { publishVersion, registerVersion, reserveVersion } from '../../../pipeline/publish/dataset-versions.js';
import { decodeTile } from '../../support/decode-tile.js';

/**
 * Publishes a new version of the county dataset: the same outlines, names changed by `suffix`
 * (as an import would, NOTIFY included), so that a tile's new content is known exactly.
 */
export async function publishCountyNames(pool: Pool, suffix: string): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const version = await reserveVersion(client, 'county');
    await client.query(versionTableDdl('county', version, [{ name: 'XZQDM', type: 'text' }, { name: 'XZQMC', type: 'text' }]));
    await client.query(
      `INSERT INTO ${qualifiedVersionTable('county', version)} ("XZQDM", "XZQMC", geom)
       SELECT "XZQDM", "XZQMC" || $1, geom FROM live.county ORDER BY fid`,
      [suffix],
    );
    await registerVersion(client, { datasetId: 'county', version, importJobId: null });
    await publishVersion(client, 'county', version);
    await client.query('COMMIT');
    return version;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** The county names of a county tile, sorted. */
export function countyNames(body: Buffer): string[] {
  return decodeTile(body).get('county')!.features.map((feature) => String(feature.properties.XZQMC)).sort();
}
