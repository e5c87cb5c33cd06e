import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import { ConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { COUNTY_SAMPLE_DATASET, generateSample, LANDUSE_SAMPLE_DATASET } from './generate-sample.js';

/** Parcels in the sample that `npm start` bundles; `SAMPLE_PARCELS` changes it. */
export const DEFAULT_SAMPLE_PARCELS = 50_000;

/** A sample size given as text (`SAMPLE_PARCELS`, `--parcels`), checked before any work starts. */
export function parseParcelCount(value: string, source: string): number {
  const parcels = Number(value);
  if (!/^\d+$/.test(value) || parcels < 10 || parcels > 5_000_000) {
    throw new ConfigError(`${source}: "${value}" is not a whole number between 10 and 5000000`);
  }
  return parcels;
}

export function sampleParcelsFromEnv(value: string | undefined): number {
  return value === undefined || value === '' ? DEFAULT_SAMPLE_PARCELS : parseParcelCount(value, 'SAMPLE_PARCELS');
}

/**
 * On an empty database (no dataset has ever been published), publishes the Liaocheng sample so
 * that a fresh start shows a map. Returns true when it did.
 */
export async function ensureSampleData(pool: Pool, config: AppConfig, logger: Logger, parcels = DEFAULT_SAMPLE_PARCELS): Promise<boolean> {
  const { rows } = await pool.query<{ published: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM meta.dataset_versions) AS published',
  );
  if (rows[0]?.published) return false;
  const declared = new Set(config.datasets.map((dataset) => dataset.id));
  if (!declared.has(LANDUSE_SAMPLE_DATASET) || !declared.has(COUNTY_SAMPLE_DATASET)) {
    logger.warn('empty database, but the configuration declares no "landuse" and "county" datasets: no sample loaded');
    return false;
  }
  logger.info({ parcels }, 'empty database: publishing the bundled Liaocheng sample data');
  await generateSample(pool, config, { parcels, seed: 'liaocheng' }, logger);
  return true;
}
