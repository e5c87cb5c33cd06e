import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../core/config/load-config.js';
import type { TileCoord } from '../core/grid/tile-matrix-set.js';
import { createLogger } from '../core/logger.js';
import { writeBenchConfig } from './support/bench-config.js';
import { prepareBenchDatabase } from './support/bench-database.js';
import { DEFAULT_BENCH_DATABASE_URL } from './support/bench-options.js';
import { constantResponseHeaders, startHttpFloor } from './support/http-floor.js';
import { findLoadTools, MissingToolError } from './support/load-tools.js';
import { collectMachineInfo, formatMachineInfo } from './support/machine-info.js';
import { findNginx, startNginx, writeStaticTiles } from './support/nginx-static.js';
import { progress, runBenchmark, type Cleanup } from './support/run-benchmark.js';
import { compileServer, startServer, type ServerProcess } from './support/server-process.js';
import { selectTileLists, type TileList } from './support/tile-list.js';
import { createWrkSide } from './support/wrk-load.js';
import { WARMUP_SECONDS, type SideStats } from './support/zoom-measurement.js';

/**
 * `npm run bench:cache` (tsx bench/cached-throughput.ts): cached vector tiles per second of the
 * server against nginx serving the very same tiles as static files, with the same load (wrk,
 * 2 threads, 8 keep-alive connections, Accept-Encoding: gzip, the same tile list); and the
 * server's latency with the cache off against cached. See bench/README.md.
 */

const TILESET_ID = 'landuse';
/** wrk's settings in the reference figure (nginx, about 25,000 z14 tiles/s). */
const CONCURRENCY = 8;

const USAGE = `usage: npm run bench:cache -- [--zoom 14] [--seconds 10] [--parcels 50000]
BENCH_DATABASE_URL names the bench database (default ${DEFAULT_BENCH_DATABASE_URL}); CONFIG_FILE the configuration.`;

class UsageError extends Error {}

interface Options {
  readonly zoom: number;
  readonly seconds: number;
  readonly parcels: number;
}

function parseOptions(args: readonly string[]): Options | null {
  const options = { zoom: 14, seconds: 10, parcels: 50_000 };
  const ranges: Record<string, [keyof Options, number, number]> = {
    '--zoom': ['zoom', 0, 24],
    '--seconds': ['seconds', 1, 3600],
    '--parcels': ['parcels', 50_000, 5_000_000],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') return null;
    const range = ranges[arg];
    if (!range) throw new UsageError(`unknown option ${arg}\n${USAGE}`);
    const value = Number(args[++i]);
    const [name, min, max] = range;
    if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${arg}: expected an integer from ${min} to ${max}\n${USAGE}`);
    options[name] = value;
  }
  return options;
}

interface Row {
  readonly side: string;
  readonly stats: SideStats;
}

async function main(signal: AbortSignal, onCleanup: (cleanup: Cleanup) => void): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const tools = await findLoadTools(process.env);
  const nginx = await findNginx();
  const databaseUrl = process.env.BENCH_DATABASE_URL || DEFAULT_BENCH_DATABASE_URL;
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const tileset = config.tilesets.find((candidate) => candidate.id === TILESET_ID);
  if (!tileset) throw new Error(`${config.configFile}: no tileset "${TILESET_ID}" to measure`);
  if (options.zoom < tileset.minzoom || options.zoom > tileset.maxzoom) throw new UsageError(`--zoom: ${options.zoom} is outside tileset "${TILESET_ID}"`);
  const logger = createLogger('bench', process.env.LOG_LEVEL ?? 'warn');
  const { pool, parcelCount } = await prepareBenchDatabase(config, options.parcels, logger, progress);
  onCleanup(() => pool.end());
  const machine = await collectMachineInfo(pool);
  const [list] = await selectTileLists(pool, tileset, [options.zoom]);
  const directory = await mkdtemp(join(tmpdir(), 'planmap-bench-cache-'));
  onCleanup(() => rm(directory, { recursive: true, force: true }));
  const configs = await writeConfigs(directory);

  progress('compiling the server');
  compileServer();
  const measure = async (side: string, baseUrl: string): Promise<Row> => {
    const run = await createWrkSide(list!, { wrkPath: tools.wrk.path, baseUrl, tilesetId: TILESET_ID, concurrency: CONCURRENCY, directory });
    progress(`${side}: warm-up ${WARMUP_SECONDS} s, then ${options.seconds} s`);
    await run(WARMUP_SECONDS, signal);
    return { side, stats: await run(options.seconds, signal) };
  };
  const withServer = async <T>(start: () => Promise<ServerProcess>, use: (server: ServerProcess) => Promise<T>): Promise<T> => {
    signal.throwIfAborted();
    const server = await start();
    onCleanup(() => server.stop());
    try {
      return await use(server);
    } finally {
      await server.stop();
    }
  };

  const rows: Row[] = [];
  rows.push(await withServer(() => startServer(databaseUrl, { configFile: configs.uncached, compile: false }), (server) => measure('planmap, cache off (every tile from PostGIS)', server.baseUrl)));
  let staticBytes = 0;
  let cachedHeaders: string[] = [];
  rows.push(await withServer(() => startServer(databaseUrl, { configFile: configs.cached, compile: false }), async (server) => {
    progress(`filling the cache and writing the ${list!.tiles.length} tiles as static files`);
    staticBytes = await writeStaticTiles(join(directory, 'static'), TILESET_ID, list!.tiles, (tile, gzip) => fetchTile(server.baseUrl, tile, gzip));
    cachedHeaders = constantResponseHeaders((await fetchTile(server.baseUrl, list!.tiles[0]!, true)).rawHeaders);
    return measure('planmap, cached (memory tier)', server.baseUrl);
  }));
  // As nginx below: a second process for the second CPU (server.workers). Each worker's memory
  // tier fills from the shared disk tier during the warm-up.
  rows.push(await withServer(() => startServer(databaseUrl, { configFile: configs.cached, compile: false, workers: 2 }), (server) =>
    measure('planmap, cached (memory tier), 2 workers', server.baseUrl)));
  // What Node's HTTP stack alone gives with the same bytes and headers: planmap's floor.
  rows.push(await withServer(() => startHttpFloor(join(directory, 'static'), TILESET_ID, cachedHeaders), (server) =>
    measure('bare Node http, same tiles and headers (the floor)', server.baseUrl)));
  for (const workers of [1, 2]) {
    rows.push(await withServer(() => startNginx(nginx.path, join(directory, 'static'), workers), (server) =>
      measure(`nginx static files, ${workers} worker${workers > 1 ? 's' : ''}`, server.baseUrl)));
  }

  console.log(formatMachineInfo(machine, {
    'load after': loadavg().map((load) => load.toFixed(2)).join(' '),
    parcels: parcelCount,
    tiles: `${list!.tiles.length} WebMercatorQuad tiles at z${list!.z} (${(staticBytes / list!.tiles.length / 1024).toFixed(1)} KB gzip on average)`,
    load: `${tools.wrk.version.replace(/ Copyright.*/, '')}: 2 threads, ${CONCURRENCY} connections, Accept-Encoding: gzip, ${options.seconds} s per side after ${WARMUP_SECONDS} s warm-up`,
    nginx: nginx.version,
  }));
  console.log(`\n${formatTable(rows, list!)}`);
  const failed = rows.filter((row) => row.stats.errorCount > 0);
  for (const row of failed) console.error(`${row.side}: ${row.stats.errorCount} failed requests: ${row.stats.errorSamples.join('; ')}`);
  return failed.length === 0 ? 0 : 1;
}

/** The configuration as given, with the cache on (memory + a disk tier in the temporary folder) or off. */
async function writeConfigs(directory: string): Promise<{ cached: string; uncached: string }> {
  return {
    cached: await writeBenchConfig(directory, 'cached', { enabled: true, shared: 'disk', disk: { directory: join(directory, 'cache') } }),
    uncached: await writeBenchConfig(directory, 'uncached', { enabled: false }),
  };
}

function fetchTile(baseUrl: string, { z, x, y }: TileCoord, gzip: boolean): Promise<{ body: Buffer; isGzip: boolean; rawHeaders: string[] }> {
  return new Promise((resolve, reject) => {
    const headers = gzip ? { 'Accept-Encoding': 'gzip' } : {};
    get(`${baseUrl}/tiles/${TILESET_ID}/${z}/${x}/${y}.mvt`, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`tile ${z}/${x}/${y}: HTTP ${response.statusCode}`));
        else resolve({ body: Buffer.concat(chunks), isGzip: response.headers['content-encoding'] === 'gzip', rawHeaders: response.rawHeaders });
      });
    }).on('error', reject);
  });
}

function formatTable(rows: readonly Row[], list: TileList): string {
  const nginxOne = rows.find((row) => row.side.startsWith('nginx') && row.side.endsWith('1 worker'));
  const nginxTwo = rows.find((row) => row.side.startsWith('nginx') && row.side.endsWith('2 workers'));
  const rate = (stats: SideStats) => stats.tileCount / (stats.elapsedMs / 1000);
  const header = ['side', 'tiles/s', 'p50 ms', 'p99 ms', 'MB/s', 'vs nginx 1 worker', 'vs nginx 2 workers'];
  const lines = rows.map(({ side, stats }) => [
    side,
    rate(stats).toFixed(0),
    (stats.p50LatencyMs ?? Number.NaN).toFixed(2),
    (stats.p99LatencyMs ?? Number.NaN).toFixed(2),
    ((stats.wireBytes ?? 0) / (stats.elapsedMs / 1000) / 1e6).toFixed(1),
    nginxOne ? (rate(stats) / rate(nginxOne.stats)).toFixed(2) : '',
    nginxTwo ? (rate(stats) / rate(nginxTwo.stats)).toFixed(2) : '',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: readonly string[]) => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  return [`z${list.z}`, format(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...lines.map(format)].join('\n');
}

runBenchmark(main, (error) => error instanceof UsageError || error instanceof MissingToolError);
