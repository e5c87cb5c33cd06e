import { escapeIdentifier } from 'pg';
import type { AppConfig } from '../../core/config/load-config.js';
import type { PoolClient } from '../../core/db/pool.js';
import type { LiveDataset } from './analysis-inputs.js';

/**
 * Which county a control-line feature or a conflict piece is counted in: the county whose
 * outline covers it, else the one holding the largest part of it (a feature drawn across a
 * border, or reaching out by the width of a rounding error), else none (NULL: outside every
 * county). Features are not cut at county borders: counties deliver their own control lines,
 * and a conflict piece is an overlap of features, so a piece crossing a border is rare, and
 * cutting it would leave slivers of floating-point noise along every border.
 */

/** `analysis_county`: the boundary's counties (code, name, outline), empty without a published boundary. */
export async function createCountyTable(client: PoolClient, config: AppConfig, boundary: LiveDataset | null): Promise<void> {
  await client.query('CREATE TEMP TABLE analysis_county (code text, name text, geom geometry(MultiPolygon, 4490)) ON COMMIT DROP');
  if (boundary) {
    const { boundaryCodeField, boundaryNameField } = config.analysis;
    const name = boundary.columns.has(boundaryNameField) ? `${escapeIdentifier(boundaryNameField)}::text` : 'NULL';
    await client.query(`INSERT INTO analysis_county (code, name, geom)
      SELECT ${escapeIdentifier(boundaryCodeField)}::text, ${name}, geom FROM ${boundary.table} ORDER BY fid`);
  }
  await client.query('CREATE INDEX ON analysis_county USING gist (geom)');
  await client.query('ANALYZE analysis_county');
}

/** Sets `county_code` and `county_name` of every row of `table` (a temp table with `id` and `geom`). */
export async function assignCounties(client: PoolClient, table: 'analysis_line' | 'analysis_piece'): Promise<void> {
  await client.query(`UPDATE ${table} t SET county_code = c.code, county_name = c.name
      FROM (SELECT DISTINCT ON (t.id) t.id, c.code, c.name
              FROM ${table} t JOIN analysis_county c ON ST_CoveredBy(t.geom, c.geom)
             ORDER BY t.id, c.code) c
     WHERE c.id = t.id`);
  await client.query(`UPDATE ${table} t SET county_code = c.code, county_name = c.name
      FROM (SELECT DISTINCT ON (t.id) t.id, c.code, c.name
              FROM ${table} t JOIN analysis_county c ON ST_Intersects(t.geom, c.geom)
             WHERE t.county_code IS NULL
             ORDER BY t.id, ST_Area(ST_Intersection(t.geom, c.geom)) DESC, c.code) c
     WHERE c.id = t.id`);
}
