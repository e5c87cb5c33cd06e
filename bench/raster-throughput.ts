import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config/load-config.js';
import { createLogger } from '../core/logger.js';
import { writeBenchConfig } from './support/bench-config.js';
import { DEFAULT_BENCH_DATABASE_URL } from './support/bench-options.js';
import { prepareBenchDatabase } from './support/bench-database.js';
import { mergeResults, runLoad, TileCycle, toSideStats, type FetchTile, type LoadResult } from './support/load-runner.js';
import { collectMachineInfo, formatMachineInfo } from './support/machine-info.js';
import { RenderSplit, TileClients } from './support/raster-clients.js';
import { formatTable } from './support/report.js';
import { progress, runBenchmark, type Cleanup } from './support/run-benchmark.js';
import { startServer } from './support/server-process.js';
import { selectTileLists, type TileList } from './support/tile-list.js';
import { WARMUP_SECONDS } from './support/zoom-measurement.js';

/**
 * `npm run bench:raster`: raster tiles per second of the landuse style (256 px PNG) against the
 * same server's vector tiles of the same tiles, per zoom, with the tile cache off (every tile
 * is computed), the render time split into its steps, and the slowest z14 tile. See
 * bench/README.md.
 */
const STYLE_ID = 'landuse';
/**
 * The baseline of the ratio: the vector tiles the style is drawn from, landuse and county, as
 * one composite tile (what a MapLibre client needs for the same map tile). The landuse tile
 * alone is measured too, for comparison with bench:tiles.
 */
const STYLE_TILESETS = 'landuse,county';
const TILESET_ID = 'landuse';
/** The issue's targets: raster at least this share of the vector rate, no z14 tile slower than this. */
const TARGET_RATIO = 0.45;
const MAX_Z14_LATENCY_MS = 200;

const USAGE = `Usage: npm run bench:raster -- [--concurrency N] [--seconds S] [--parcels N] [--zooms LIST]

  --concurrency N  keep-alive HTTP clients per side (default 8)
  --seconds S      measured time per side and zoom, split ABBA (default 10)
  --parcels N      the bench database must hold about this many parcels (default 50000)
  --zooms LIST     zoom levels to measure (default 12,14,16)

BENCH_DATABASE_URL names the bench database (default ${DEFAULT_BENCH_DATABASE_URL}).`;

class UsageError extends Error {}

interface Options {
  readonly concurrency: number;
  readonly seconds: number;
  readonly parcels: number;
  readonly zooms: readonly number[];
}

function parseOptions(args: string[]): Options | null {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        concurrency: { type: 'string', default: '8' },
        seconds: { type: 'string', default: '10' },
        parcels: { type: 'string', default: '50000' },
        zooms: { type: 'string', default: '12,14,16' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return null;
  const integer = (option: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`${option}: "${text}" is not a whole number from ${min} to ${max}\n\n${USAGE}`);
    return value;
  };
  return {
    concurrency: integer('--concurrency', values.concurrency, 1, 200),
    seconds: integer('--seconds', values.seconds, 1, 3600),
    parcels: integer('--parcels', values.parcels, 50_000, 5_000_000),
    zooms: values.zooms.split(',').map((part) => integer('--zooms', part.trim(), 10, 16)),
  };
}

interface ZoomResult {
  readonly list: TileList;
  readonly vector: ReturnType<typeof toSideStats>;
  readonly landuse: ReturnType<typeof toSideStats>;
  readonly raster: ReturnType<typeof toSideStats>;
  readonly split: RenderSplit;
  /** Each tile of the list rendered once, one request at a time: the slowest, and the mean. */
  readonly sequentialMaxMs: number;
  readonly sequentialMeanMs: number;
}

async function main(signal: AbortSignal, onCleanup: (cleanup: Cleanup) => void): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const databaseUrl = process.env.BENCH_DATABASE_URL || DEFAULT_BENCH_DATABASE_URL;
  // The child server reads a copy of the configuration with the tile cache off (every tile, vector
  // and raster, is computed, so the rates compare the uncached paths) and no rate limit on loopback.
  const directory = await mkdtemp(join(tmpdir(), 'planmap-raster-bench-'));
  onCleanup(() => rm(directory, { recursive: true, force: true }));
  const configFile = await writeBenchConfig(directory, 'config', { enabled: false });
  process.env.CONFIG_FILE = configFile;

  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const logger = createLogger('bench', process.env.LOG_LEVEL ?? 'warn');
  const tileset = config.tilesets.find((candidate) => candidate.id === TILESET_ID);
  if (!tileset) throw new Error(`${config.configFile}: no tileset "${TILESET_ID}"`);
  const { pool, parcelCount } = await prepareBenchDatabase(config, options.parcels, logger, progress);
  onCleanup(() => pool.end());
  const machine = await collectMachineInfo(pool);
  const lists = await selectTileLists(pool, tileset, options.zooms);

  progress('starting the server (tile cache off)');
  const server = await startServer(config.databaseUrl);
  onCleanup(() => server.stop());
  const clients = new TileClients(server.baseUrl, options.concurrency);
  onCleanup(() => clients.close());

  const results: ZoomResult[] = [];
  for (const list of lists) {
    signal.throwIfAborted();
    results.push(await measureZoom(list, clients, options, signal));
  }
  console.log(formatMachineInfo(machine, {
    'load after': loadavg().map((load) => load.toFixed(2)).join(' '),
    parcels: parcelCount,
    run: `${options.concurrency} keep-alive clients per side, ${options.seconds} s per side and zoom (halves: vector, raster, landuse, landuse, raster, vector), tile cache off`,
  }));
  console.log(`\n${formatTable(
    ['zoom', 'tiles', `vector ${STYLE_TILESETS} tiles/s`, 'raster tiles/s', 'raster/vector', 'target', `vector ${TILESET_ID} tiles/s`, `raster/${TILESET_ID}`, 'raster p50 ms', 'raster p99 ms', 'result'],
    results.map(({ list, vector, landuse, raster }) => {
      const ratio = rate(raster) / rate(vector);
      return [String(list.z), String(list.tiles.length), rate(vector).toFixed(1), rate(raster).toFixed(1), ratio.toFixed(2), TARGET_RATIO.toFixed(2),
        rate(landuse).toFixed(1), (rate(raster) / rate(landuse)).toFixed(2),
        (raster.p50LatencyMs ?? Number.NaN).toFixed(1), (raster.p99LatencyMs ?? Number.NaN).toFixed(1),
        vector.errorCount + raster.errorCount + landuse.errorCount > 0 ? 'ERRORS' : ratio >= TARGET_RATIO ? 'PASS' : 'BELOW'];
    }),
  )}`);
  console.log(`\nRender time per raster tile under load (server's Server-Timing, mean ms), and each tile rendered once, one at a time:\n${formatTable(
    ['zoom', 'vector tile', 'decode', 'draw', 'encode', 'one at a time: mean ms', 'max ms', `z14 max <= ${MAX_Z14_LATENCY_MS} ms`],
    results.map(({ list, split, sequentialMeanMs, sequentialMaxMs }) => [
      String(list.z), ...['vector', 'decode', 'draw', 'encode'].map((step) => split.meanMs(step).toFixed(2)),
      sequentialMeanMs.toFixed(1), sequentialMaxMs.toFixed(1),
      list.z === 14 ? (sequentialMaxMs <= MAX_Z14_LATENCY_MS ? 'PASS' : 'ABOVE') : '-',
    ]),
  )}`);
  const errors = results.flatMap(({ vector, landuse, raster }) => [...vector.errorSamples, ...landuse.errorSamples, ...raster.errorSamples]);
  if (errors.length > 0) console.error(`\nfailed requests, the first:\n  ${errors.slice(0, 5).join('\n  ')}`);
  return errors.length === 0 ? 0 : 1;
}

/**
 * One zoom: a warm-up of each side, then halves in the order vector, raster, landuse, landuse,
 * raster, vector (so drift weighs on all alike), then every tile of the list once, one request at a time, for the
 * latency of a single tile without queueing behind others.
 */
async function measureZoom(list: TileList, clients: TileClients, options: Options, signal: AbortSignal): Promise<ZoomResult> {
  const run = async (fetchTile: FetchTile, cycle: TileCycle, durationMs: number, concurrency = options.concurrency): Promise<LoadResult> => {
    const result = await runLoad(fetchTile, cycle, { concurrency, durationMs, signal });
    signal.throwIfAborted();
    return result;
  };
  progress(`z${list.z}: ${list.tiles.length} tiles; warm-up ${WARMUP_SECONDS} s per side, then ${options.seconds} s per side`);
  const split = new RenderSplit();
  const vector = clients.vector(STYLE_TILESETS);
  const landuse = clients.vector(TILESET_ID);
  const raster = clients.raster(STYLE_ID, split);
  await run(vector, new TileCycle(list.tiles), WARMUP_SECONDS * 1000);
  await run(landuse, new TileCycle(list.tiles), WARMUP_SECONDS * 1000);
  await run(clients.raster(STYLE_ID), new TileCycle(list.tiles), WARMUP_SECONDS * 1000);
  const halfMs = (options.seconds * 1000) / 2;
  const vectorCycle = new TileCycle(list.tiles);
  const landuseCycle = new TileCycle(list.tiles);
  const rasterCycle = new TileCycle(list.tiles);
  const vectorFirst = await run(vector, vectorCycle, halfMs);
  const rasterFirst = await run(raster, rasterCycle, halfMs);
  const landuseFirst = await run(landuse, landuseCycle, halfMs);
  const landuseSecond = await run(landuse, landuseCycle, halfMs);
  const rasterSecond = await run(raster, rasterCycle, halfMs);
  const vectorSecond = await run(vector, vectorCycle, halfMs);
  progress(`z${list.z}: each tile once, one at a time`);
  const sequential = await runSequential(clients.raster(STYLE_ID), list, signal);
  return {
    list,
    vector: toSideStats(mergeResults(vectorFirst, vectorSecond)),
    landuse: toSideStats(mergeResults(landuseFirst, landuseSecond)),
    raster: toSideStats(mergeResults(rasterFirst, rasterSecond)),
    split,
    sequentialMaxMs: Math.max(...sequential),
    sequentialMeanMs: sequential.reduce((sum, ms) => sum + ms, 0) / sequential.length,
  };
}

async function runSequential(fetchTile: FetchTile, list: TileList, signal: AbortSignal): Promise<number[]> {
  const latencies: number[] = [];
  for (const tile of list.tiles) {
    signal.throwIfAborted();
    const sent = performance.now();
    await fetchTile(tile, 0);
    latencies.push(performance.now() - sent);
  }
  return latencies;
}

function rate(side: { tileCount: number; elapsedMs: number }): number {
  return side.elapsedMs > 0 ? (side.tileCount * 1000) / side.elapsedMs : 0;
}

runBenchmark(main, (error) => error instanceof UsageError);
