import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
import { ImportError } from '../../../../core/errors.js';
import type { SourceFeature } from '../../../../pipeline/readers/feature-source.js';
import { openGeoJson, type GeoJsonOptions } from '../../../../pipeline/readers/geojson/open-geojson.js';

/**
 * Fixtures for the GeoJSON reader: every file is written by the test that reads it, into a
 * folder under os.tmpdir() that the test removes afterwards.
 */
export interface TempDir {
  readonly path: string;
  /** Writes `content` (text is written as UTF-8) to `name` and returns its path. */
  write(name: string, content: string | Buffer): Promise<string>;
  remove(): Promise<void>;
}

export async function makeTempDir(label: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `planmap-${label}-`));
  return {
    path,
    async write(name, content) {
      const file = join(path, name);
      await writeFile(file, content);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/** A FeatureCollection's text; `members` are written before `features` unless `membersAfter`. */
export function featureCollectionText(features: readonly unknown[], members: Record<string, unknown> = {}, membersAfter = false): string {
  const extra = Object.entries(members).map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  const featuresText = `"features": [\n${features.map((feature) => (typeof feature === 'string' ? feature : JSON.stringify(feature))).join(',\n')}\n]`;
  const parts = membersAfter ? ['"type": "FeatureCollection"', featuresText, ...extra] : ['"type": "FeatureCollection"', ...extra, featuresText];
  return `{${parts.join(',\n')}}\n`;
}

export function squareFeature(properties: Record<string, unknown>, x = 116, y = 36): Record<string, unknown> {
  return {
    type: 'Feature',
    properties,
    geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]] },
  };
}

/** Opens the file, reads every feature and closes it. */
export async function readAllFeatures(path: string, options?: GeoJsonOptions): Promise<SourceFeature[]> {
  const source = await openGeoJson(path, options);
  try {
    const features: SourceFeature[] = [];
    for await (const feature of source.features()) features.push(feature);
    return features;
  } finally {
    await source.close();
  }
}

export interface ExpectedImportError {
  readonly file: string;
  readonly feature?: number;
  readonly field?: string;
  readonly message: RegExp;
}

/** Runs `action`, which must fail with an ImportError at exactly this place. */
export async function expectImportError(action: () => Promise<unknown>, expected: ExpectedImportError): Promise<ImportError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'an ImportError').to.be.instanceOf(ImportError);
  const error = caught as ImportError;
  expect({ file: error.file, feature: error.feature, field: error.field }, error.message).to.deep.equal({
    file: expected.file,
    feature: expected.feature,
    field: expected.field,
  });
  if (!expected.message.test(error.message)) expect.fail(`the message ${JSON.stringify(error.message)} does not match ${expected.message}`);
  return error;
}

/**
 * Writes a FeatureCollection of at least `minBytes` through a stream (so the test itself holds
 * one feature at a time), `crs` after the features. Features look like 三调 parcels: polygons
 * of 16 vertices with coordinates of 12 decimals, and Chinese attributes. Feature i (1-based)
 * has BSM = String(i) and TBMJ = i + 0.25.
 */
export async function writeLargeGeoJson(path: string, minBytes: number): Promise<{ featureCount: number; bytes: number }> {
  const out = createWriteStream(path);
  const write = (text: string) => new Promise<void>((resolve, reject) => (out.write(text, (error) => (error ? reject(error) : resolve()))));
  let bytes = 0;
  let count = 0;
  let batch = '{"type": "FeatureCollection", "features": [\n';
  while (bytes < minBytes) {
    count++;
    const x = 116 + (count % 1000) * 0.001;
    const y = 36 + Math.floor(count / 1000) * 0.001;
    const feature = {
      type: 'Feature',
      properties: { BSM: String(count), DLMC: count % 2 === 0 ? '水田' : '农村宅基地', TBMJ: count + 0.25, GDLX: null },
      geometry: { type: 'Polygon', coordinates: [parcelRing(x, y)] },
    };
    batch += (count === 1 ? '' : ',\n') + JSON.stringify(feature);
    if (batch.length > 1 << 16) {
      bytes += Buffer.byteLength(batch);
      await write(batch);
      batch = '';
    }
  }
  batch += '\n], "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}}\n';
  bytes += Buffer.byteLength(batch);
  await write(batch);
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { featureCount: count, bytes };
}

const PARCEL_VERTICES = 16;

/** A closed ring of PARCEL_VERTICES vertices around (x, y), 0.0004° across, 12 decimals. */
function parcelRing(x: number, y: number): number[][] {
  const ring: number[][] = [];
  for (let i = 0; i < PARCEL_VERTICES; i++) {
    const angle = (2 * Math.PI * i) / PARCEL_VERTICES;
    ring.push([Number((x + 0.0002 * Math.cos(angle)).toFixed(12)), Number((y + 0.0002 * Math.sin(angle)).toFixed(12))]);
  }
  ring.push(ring[0]!);
  return ring;
}

let collectGarbage: (() => void) | undefined;

/** Heap and Buffer memory after a full garbage collection, in bytes. */
export function liveMemoryBytes(): number {
  if (collectGarbage === undefined) {
    // Turns on `gc` for contexts made from now on, without a node flag for the whole run.
    setFlagsFromString('--expose-gc');
    collectGarbage = runInNewContext('gc') as () => void;
  }
  collectGarbage();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}
