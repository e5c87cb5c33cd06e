import { openGeoJson } from '../../../../pipeline/readers/geojson/open-geojson.js';
import { liveMemoryBytes } from './geojson-fixtures.js';

/**
 * Run by streaming.test.ts in a process of its own: `node --import tsx read-large-file.ts FILE`.
 * Opens FILE, reads every feature, and prints a JSON summary (see LargeFileSummary) on stdout.
 *
 * Why a child process: it measures the reader's memory and nothing else, and it loads the
 * reader as native ESM, as production does. Mocha loads test files through require(), and
 * tsx then compiles the ESM of node_modules to CommonJS, with a getter call on every access to
 * an imported binding: stream-json's hot path runs about five times slower that way.
 */
export interface LargeFileSummary {
  readonly crs: unknown;
  readonly fields: unknown;
  readonly count: number;
  readonly isNumberedInOrder: boolean;
  readonly lastProperties: unknown;
  /** Largest growth of live memory (heap and Buffers, after a full GC) over the start. */
  readonly maxGrowthBytes: number;
  readonly seconds: number;
}

const MEASURE_EVERY = 25_000;

const path = process.argv[2];
if (path === undefined) throw new Error('usage: read-large-file.ts FILE');
const started = process.hrtime.bigint();
const baseline = liveMemoryBytes();
let maxGrowthBytes = 0;
const source = await openGeoJson(path);
let count = 0;
let isNumberedInOrder = true;
let lastProperties: unknown = null;
for await (const feature of source.features()) {
  count++;
  isNumberedInOrder &&= feature.index === count;
  if (count % MEASURE_EVERY === 0) maxGrowthBytes = Math.max(maxGrowthBytes, liveMemoryBytes() - baseline);
  lastProperties = feature.properties;
}
await source.close();
const summary: LargeFileSummary = {
  crs: source.crs,
  fields: source.fields,
  count,
  isNumberedInOrder,
  lastProperties,
  maxGrowthBytes,
  seconds: Number(process.hrtime.bigint() - started) / 1e9,
};
process.stdout.write(JSON.stringify(summary));
