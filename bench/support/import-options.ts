import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../core/project-root.js';

/**
 * Where the parcels of the delivery come from: the published sample of a bench database. Up to
 * 300,000 parcels the tile benchmark's 300,000-parcel database serves; above, one of its own,
 * so that neither is regenerated at every switch between sizes.
 */
const SOURCE_DATABASES = [
  { maxParcels: 300_000, sampleParcels: 300_000, url: 'postgres://postgres@127.0.0.1:5432/planmap_bench300' },
  { maxParcels: Infinity, sampleParcels: 1_000_000, url: 'postgres://postgres@127.0.0.1:5432/planmap_bench1m' },
] as const;
/** The database both importers write into, apart from every other (the pipeline prunes versions). */
export const DEFAULT_IMPORT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/planmap_bench_import';
/** `.data/` is git-ignored. */
const DEFAULT_DATA_DIR = join(projectRoot, '.data', 'bench');

export const USAGE = `Usage: npm run bench:import -- [--parcels N] [--runs R]

Imports the same GBK Shapefile of N land-use parcels in EPSG:4527 two ways, one after the
other: with this pipeline (importDataset, every QA check at its configured level, in a child
process) and with GDAL (ogr2ogr -f PostgreSQL -t_srs EPSG:4490, PG_USE_COPY). Prints features
per second of both, their ratio, and the pipeline's peak RSS.

  --parcels N  parcels in the delivery (default 300000, 1000 to 5000000); the Shapefile is
               written once from a bench database's sample and kept under the data directory
  --runs R     imports per side, alternating GDAL and pipeline (default 2, 1 to 10)
  --help       this text

BENCH_SOURCE_DATABASE_URL: the database whose published sample the parcels come from (default:
planmap_bench300 up to 300000 parcels, planmap_bench1m above; created and filled when short).
BENCH_IMPORT_DATABASE_URL: where both import (default ${DEFAULT_IMPORT_DATABASE_URL}).
BENCH_DATA_DIR: where the Shapefiles are kept (default .data/bench). CONFIG_FILE picks the
configuration, as for the server. Needs ogr2ogr (apt-get install gdal-bin).`;

export interface ImportBenchOptions {
  /** Features in the delivery: the first N parcels of the sample, by fid. */
  readonly parcels: number;
  /** Imports per side. */
  readonly runs: number;
  readonly sourceDatabaseUrl: string;
  readonly importDatabaseUrl: string;
  /** The import root: every delivery lives in a folder of its own below it. */
  readonly dataDir: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n\n${USAGE}`);
    this.name = 'UsageError';
  }
}

/** Parsed and range-checked options, or null when --help was asked for. */
export function parseImportOptions(args: readonly string[], env: NodeJS.ProcessEnv): ImportBenchOptions | null {
  const values = readArgs(args);
  if (values.help) return null;
  const parcels = parseInteger('--parcels', values.parcels, 1_000, 5_000_000);
  return {
    parcels,
    runs: parseInteger('--runs', values.runs, 1, 10),
    sourceDatabaseUrl: env.BENCH_SOURCE_DATABASE_URL || sourceDatabaseFor(parcels).url,
    importDatabaseUrl: env.BENCH_IMPORT_DATABASE_URL || DEFAULT_IMPORT_DATABASE_URL,
    dataDir: env.BENCH_DATA_DIR || DEFAULT_DATA_DIR,
  };
}

/**
 * Parcels to generate when the source database holds too few: its nominal size (300,000 for
 * planmap_bench300) or the request when larger, so that smaller runs reuse the same sample.
 */
export function sampleSizeFor(parcels: number): number {
  return Math.max(parcels, sourceDatabaseFor(parcels).sampleParcels);
}

function sourceDatabaseFor(parcels: number): (typeof SOURCE_DATABASES)[number] {
  return SOURCE_DATABASES.find(({ maxParcels }) => parcels <= maxParcels)!;
}

function readArgs(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: {
        parcels: { type: 'string', default: '300000' },
        runs: { type: 'string', default: '2' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    // Unknown options and missing values: parseArgs names the option in its message.
    throw new UsageError((error as Error).message);
  }
}

function parseInteger(option: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${option}: "${text}" is not a whole number from ${min} to ${max}`);
  }
  return value;
}
