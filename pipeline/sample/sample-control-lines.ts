import { escapeIdentifier } from 'pg';
import type { AppConfig } from '../../core/config/load-config.js';
import type { AttributeColumn, AttributeType } from '../../core/db/dataset-layout.js';
import type { Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import type { FieldSpec } from '../delivery/dbf-field-spec.js';
import { DELIVERY_LAYERS, type LayerKey } from '../delivery/delivery-layers.js';
import { createDeliveryCounties } from '../delivery/delivery-zones.js';
import { createLandUseTable } from '../delivery/landuse-table.js';
import { createMillimetreFunctions } from '../delivery/millimetre-grid.js';
import { createPlanningTables } from '../delivery/planning-tables.js';
import { createSampleParcels } from '../delivery/sample-parcels.js';
import { publishFilledVersion } from '../publish/filled-version.js';
import type { SampleOptions } from './generate-sample.js';

/**
 * The sample's 三区三线 control lines, published as the city-wide datasets `stbhhx` (生态保护红线),
 * `yjjbnt` (永久基本农田) and `czkfbj` (城镇开发边界), so that the analysis has lines to compare
 * with the land-use sample, and its planning zones (`ghfq`, 规划分区) for the planning style. They are the planning layers of the sample delivery
 * (pipeline/delivery/planning-tables.ts), drawn on the same parcels as the published land-use
 * sample for the same parcel count and seed, so they overlap it (and each other) as real ones do;
 * being drawn on the delivered, millimetre-rounded parcels, their edges part from the published
 * parcels' by up to a millimetre, which the analysis reports as slivers.
 *
 * Only datasets the configuration declares are published; none declared, nothing is done.
 */
export const SAMPLE_PLANNING_LAYERS: Readonly<Record<string, LayerKey>> = { stbhhx: 'stbhhx', yjjbnt: 'yjjbnt', czkfbj: 'czkfbj', ghfq: 'ghfq' };

export async function generateSampleControlLines(
  pool: Pool,
  config: AppConfig,
  options: SampleOptions,
  logger: Logger,
): Promise<Record<string, { version: number; featureCount: number }>> {
  const wanted = Object.entries(SAMPLE_PLANNING_LAYERS).filter(([id]) => config.datasets.some((dataset) => dataset.id === id));
  if (wanted.length === 0) return {};
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL statement_timeout = 0');
    // Serial plans keep every union's input order, and so the lines, the same for a seed.
    await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
    await createSampleParcels(client, options);
    await client.query('ANALYZE sample_parcel');
    await createMillimetreFunctions(client);
    await createDeliveryCounties(client);
    await createLandUseTable(client);
    await createPlanningTables(client, options.seed);
    const published: Record<string, { version: number; featureCount: number }> = {};
    for (const [id, key] of wanted) {
      const layer = DELIVERY_LAYERS.find((candidate) => candidate.key === key)!;
      const dataset = config.datasets.find((candidate) => candidate.id === id)!;
      const columns = layer.fields.map(columnOf);
      published[id] = await publishFilledVersion(client, dataset, columns, async (table) => {
        const names = columns.map((column) => escapeIdentifier(column.name)).join(', ');
        await client.query(`INSERT INTO ${table} (${names}, geom)
          SELECT ${names}, ST_Multi(ST_Transform(geom_gk, 4490)) FROM ${layer.table} ORDER BY county_code, seq`);
      });
    }
    await client.query('COMMIT');
    logger.info({ published, seed: options.seed }, 'sample control lines published');
    return published;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function columnOf(field: FieldSpec): AttributeColumn {
  const type: AttributeType = field.type === 'C' ? 'text' : field.type === 'D' ? 'date' : field.type === 'L' ? 'boolean'
    : (field.decimals ?? 0) > 0 || field.type === 'F' ? 'double precision' : 'integer';
  return { name: field.name, type };
}
