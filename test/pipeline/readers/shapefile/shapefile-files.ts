import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MultiPolygon, Polygon } from 'geojson';
import { createShapefileWriter, type FieldSpec, type ShapefileWriterOptions } from '../../../../pipeline/delivery/shapefile-writer.js';
import type { AttributeValue, FeatureSource, SourceFeature } from '../../../../pipeline/readers/feature-source.js';

/**
 * Test files for the shapefile reader: made in a temporary folder by the project's own writer
 * (`pipeline/delivery/shapefile-writer.ts`), then, for bad inputs, damaged byte by byte.
 */

/** A fresh temporary folder; remove it with `removeTempDir`. */
export async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'planmap-shapefile-'));
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface TestFeature {
  readonly properties: Readonly<Record<string, AttributeValue | undefined>>;
  readonly geometry: Polygon | MultiPolygon | null;
}

/** The 三调 parcel fields the tests use. */
export const PARCEL_FIELDS: readonly FieldSpec[] = [
  { name: 'BSM', type: 'C', length: 18 },
  { name: 'DLBM', type: 'C', length: 5 },
  { name: 'DLMC', type: 'C', length: 60 },
  { name: 'QSDWMC', type: 'C', length: 60 },
  { name: 'TBMJ', type: 'N', length: 19, decimals: 2 },
  { name: 'SJNF', type: 'N', length: 4 },
];

/** A 10 m square in Gauss-Kruger zone 39 (EPSG:4527), counter-clockwise as RFC 7946 wants, at millimetre precision. */
export function square(x: number, y: number, size = 10): Polygon {
  return { type: 'Polygon', coordinates: [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]] };
}

/** Writes `features` as `<dir>/<name>.shp` and returns the .shp's path. */
export async function writeShapefile(
  dir: string,
  name: string,
  features: readonly TestFeature[],
  options: Partial<ShapefileWriterOptions> = {},
): Promise<string> {
  const writer = await createShapefileWriter(join(dir, name), {
    shapeType: 'polygon',
    fields: PARCEL_FIELDS,
    encoding: 'gbk',
    prj: null,
    cpg: true,
    lastUpdate: new Date(Date.UTC(2024, 0, 2)),
    ...options,
  });
  try {
    for (const feature of features) await writer.write(feature.properties, feature.geometry);
  } finally {
    await writer.close();
  }
  return writer.file;
}

/** Every feature of a source, then closes it. */
export async function readAll(source: FeatureSource): Promise<SourceFeature[]> {
  try {
    const features: SourceFeature[] = [];
    for await (const feature of source.features()) features.push(feature);
    return features;
  } finally {
    await source.close();
  }
}

/** Overwrites bytes of a file in place. */
export async function patchFile(path: string, position: number, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, position);
  } finally {
    await handle.close();
  }
}

export async function truncateFile(path: string, length: number): Promise<void> {
  await truncate(path, length);
}

/** Replaces the .shp's extension: `sibling('/d/a.shp', 'dbf')` is `/d/a.dbf`. */
export function sibling(shp: string, extension: string): string {
  return shp.replace(/\.shp$/, `.${extension}`);
}

export async function writeText(path: string, text: string): Promise<void> {
  await writeFile(path, text);
}
