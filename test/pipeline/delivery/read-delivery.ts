import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from '../../../core/db/pool.js';
import { resolveCrs } from '../../../pipeline/crs/detect-crs.js';
import type { DeliveryOptions } from '../../../pipeline/delivery/delivery-options.js';
import { generateDelivery, type DeliveryResult } from '../../../pipeline/delivery/generate-delivery.js';
import type { CrsHint, SourceFeature } from '../../../pipeline/readers/feature-source.js';
import { openGeoJson } from '../../../pipeline/readers/geojson/open-geojson.js';
import type { DbfEncoding } from '../../../pipeline/readers/shapefile/dbf-encoding.js';
import { openShapefile } from '../../../pipeline/readers/shapefile/open-shapefile.js';

/**
 * Sample deliveries for the tests, made by the project's own generator into a temporary folder,
 * and read back with the project's own readers (the importer's view of them).
 */
export const LIAOCHENG_COUNTIES = ['371502', '371503', '371521', '371522', '371524', '371525', '371526', '371581'];
/** 冠县 and 莘县 lie west of 115.5°E, in zone 38. */
export const ZONE_38_COUNTIES = ['371522', '371525'];

export interface GeneratedDelivery {
  readonly dir: string;
  readonly result: DeliveryResult;
  remove(): Promise<void>;
}

export async function generateInTemp(pool: Pool, options: Omit<DeliveryOptions, 'outDir'>): Promise<GeneratedDelivery> {
  const dir = await mkdtemp(join(tmpdir(), 'planmap-delivery-'));
  try {
    const result = await generateDelivery(pool, { ...options, outDir: dir });
    return { dir, result, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface ReadBack {
  readonly crs: CrsHint | null;
  /** The EPSG code the importer would use for the file. */
  readonly srid: number;
  readonly features: readonly SourceFeature[];
  /** Shapefiles only. */
  readonly encoding?: DbfEncoding;
}

export async function readShapefile(path: string): Promise<ReadBack> {
  const source = await openShapefile(path);
  try {
    return { crs: source.crs, srid: resolveCrs(source.crs, undefined, { file: path }).srid, features: await collect(source.features()), encoding: source.encoding };
  } finally {
    await source.close();
  }
}

export async function readGeoJson(path: string): Promise<ReadBack> {
  const source = await openGeoJson(path);
  try {
    return { crs: source.crs, srid: resolveCrs(source.crs, undefined, { file: path }).srid, features: await collect(source.features()) };
  } finally {
    await source.close();
  }
}

async function collect(features: AsyncIterable<SourceFeature>): Promise<SourceFeature[]> {
  const all: SourceFeature[] = [];
  for await (const feature of features) all.push(feature);
  return all;
}

/** Every file under `dir`, as paths relative to it, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}
