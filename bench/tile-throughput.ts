import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from '../core/config/load-config.js';
import type { TilesetConfig } from '../core/config/schema.js';
import type { Pool } from '../core/db/pool.js';
import { WebMercatorQuad } from '../core/grid/tile-matrix-set.js';
import { createLogger } from '../core/logger.js';
import { buildMvtQuery, type MvtQuery } from '../server/sources/mvt-query.js';
import { prepareBenchDatabase } from './support/bench-database.js';
import { parseBenchOptions, USAGE, UsageError, type BenchOptions } from './support/bench-options.js';
import { HttpClients } from './support/http-clients.js';
import { findLoadTools, MissingToolError, type LoadTools } from './support/load-tools.js';
import { collectMachineInfo, formatMachineInfo, type MachineInfo } from './support/machine-info.js';
import { measureZoom } from './support/measure-zoom.js';
import { measureZoomWithTools, toolPhases } from './support/measure-zoom-c.js';
import { createPgbenchSide, createTileTable, pgbenchThreadCount } from './support/pgbench-load.js';
import { formatDetailTable, formatSummaryTable, summarise } from './support/report.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { SqlClients } from './support/sql-clients.js';
import { selectTileLists, type TileList } from './support/tile-list.js';
import { createWrkSide, wrkThreadCount } from './support/wrk-load.js';
import type { ZoomMeasurement } from './support/zoom-measurement.js';
import { progress, runBenchmark, type Cleanup } from './support/run-benchmark.js';
import { writeBenchConfig } from './support/bench-config.js';

/**
 * `npm run bench:tiles`: tiles per second of the server's ST_AsMVT statement run directly
 * against the same tiles through the HTTP server, per zoom. See bench/README.md.
 */

/** The tileset measured: the land-use parcels, the densest layer served. */
const TILESET_ID = 'landuse';

/** Returns the exit code: 0, or 1 when a request failed. */
async function main(signal: AbortSignal, onCleanup: (cleanup: Cleanup) => void): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2), process.env);
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  // Before anything slow, so that a missing wrk or pgbench is reported at once.
  const tools = options.load === 'c' ? await findLoadTools(process.env) : null;
  // The child server reads a copy of the configuration with the tile cache off (this benchmark
  // measures computing tiles; bench:cache measures the cache) and no rate limit on loopback.
  const directory = await mkdtemp(join(tmpdir(), 'planmap-tile-bench-'));
  onCleanup(() => rm(directory, { recursive: true, force: true }));
  process.env.CONFIG_FILE = await writeBenchConfig(directory, 'config', { enabled: false });
  const config = loadConfig({ ...process.env, DATABASE_URL: options.databaseUrl });
  const tileset = findTileset(config, options.zooms);
  const logger = createLogger('bench', process.env.LOG_LEVEL ?? 'warn');

  const { pool, parcelCount } = await prepareBenchDatabase(config, options.parcels, logger, progress);
  onCleanup(() => pool.end());
  const machine = await collectMachineInfo(pool);
  progress(`choosing tiles at zoom ${options.zooms.join(', ')}`);
  const lists = await selectTileLists(pool, tileset, options.zooms);

  progress('starting the server');
  signal.throwIfAborted();
  const server = await startServer(config.databaseUrl);
  onCleanup(() => server.stop());
  signal.throwIfAborted();
  if (options.concurrency > config.database.poolSize) {
    progress(`warning: --concurrency ${options.concurrency} exceeds the server's database.poolSize ${config.database.poolSize}: ` +
      'HTTP requests queue for a connection while the SQL side has one per client');
  }

  const bench: Bench = { config, options, lists, server, query: buildMvtQuery(tileset, WebMercatorQuad), signal, onCleanup };
  const measurements = tools ? await measureWithTools(bench, tools, pool) : await measureWithNode(bench);
  printReport(machine, config, options, parcelCount, measurements, describeLoad(options, tools));
  return reportErrors(measurements);
}

/** What both ways of measuring need. */
interface Bench {
  readonly config: AppConfig;
  readonly options: BenchOptions;
  readonly lists: readonly TileList[];
  readonly server: ServerProcess;
  readonly query: MvtQuery;
  readonly signal: AbortSignal;
  readonly onCleanup: (cleanup: Cleanup) => void;
}

/** `--load node`: pg and node:http clients in this process. */
async function measureWithNode({ config, options, lists, server, query, signal, onCleanup }: Bench): Promise<ZoomMeasurement[]> {
  const sql = await SqlClients.open(config.databaseUrl, config.database, options.concurrency);
  onCleanup(() => sql.close());
  const http = new HttpClients(server.baseUrl, options.concurrency);
  onCleanup(() => http.close());
  const sides = { sql: sql.fetcher(query), http: http.fetcher(TILESET_ID) };
  const measurements: ZoomMeasurement[] = [];
  for (const list of lists) measurements.push(await measureZoom(list, sides, { ...options, signal }, progress));
  return measurements;
}

/** `--load c`: pgbench and wrk, with their scripts in a temporary directory. */
async function measureWithTools({ config, options, lists, server, query, signal, onCleanup }: Bench, tools: LoadTools, pool: Pool): Promise<ZoomMeasurement[]> {
  const directory = await mkdtemp(join(tmpdir(), 'planmap-bench-'));
  onCleanup(() => rm(directory, { recursive: true, force: true }));
  const table = await createTileTable(pool, lists, query);
  onCleanup(() => table.drop());
  const measurements: ZoomMeasurement[] = [];
  for (const list of lists) {
    const sides = {
      sql: await createPgbenchSide(list, {
        pgbenchPath: tools.pgbench.path, databaseUrl: config.databaseUrl, database: config.database,
        query, table, concurrency: options.concurrency, directory,
      }),
      http: await createWrkSide(list, {
        wrkPath: tools.wrk.path, baseUrl: server.baseUrl, tilesetId: TILESET_ID, concurrency: options.concurrency, directory,
      }),
    };
    measurements.push(await measureZoomWithTools(list, sides, { seconds: options.seconds, signal }, progress));
  }
  return measurements;
}

/** The header lines that say who sent the load and for how long. */
function describeLoad(options: BenchOptions, tools: LoadTools | null): Record<string, string> {
  const clients = `${options.concurrency} concurrent clients per side`;
  if (!tools) {
    return {
      load: 'node: pg and node:http clients in the benchmark process',
      run: `${clients}, ${options.seconds} s per side and zoom (SQL, HTTP, HTTP, SQL halves)`,
    };
  }
  const { sqlHalfSeconds, httpSeconds } = toolPhases(options.seconds);
  const threads = (count: number) => `${count} thread${count === 1 ? '' : 's'}`;
  return {
    load: `c: ${tools.pgbench.version} for SQL (-M prepared, ${threads(pgbenchThreadCount(options.concurrency))}), ` +
      `${tools.wrk.version.replace(/ Copyright.*/, '')} for HTTP (${threads(wrkThreadCount(options.concurrency))})`,
    run: `${clients}; per zoom SQL ${sqlHalfSeconds} s, HTTP ${httpSeconds} s, SQL ${sqlHalfSeconds} s`,
  };
}

/** The measured tileset, with every requested zoom inside its range. */
function findTileset(config: AppConfig, zooms: readonly number[]): TilesetConfig {
  const tileset = config.tilesets.find((candidate) => candidate.id === TILESET_ID);
  if (!tileset) throw new Error(`${config.configFile}: no tileset "${TILESET_ID}" to measure`);
  for (const z of zooms) {
    if (z < tileset.minzoom || z > tileset.maxzoom) {
      throw new UsageError(`--zooms: ${z} is outside tileset "${TILESET_ID}" (zoom ${tileset.minzoom} to ${tileset.maxzoom})`);
    }
  }
  return tileset;
}

function printReport(
  machine: MachineInfo,
  config: AppConfig,
  options: BenchOptions,
  parcelCount: number,
  measurements: readonly ZoomMeasurement[],
  load: Record<string, string>,
): void {
  console.log(formatMachineInfo(machine, {
    'load after': loadavg().map((load) => load.toFixed(2)).join(' '),
    parcels: parcelCount,
    'server pool': `${config.database.poolSize} connections`,
    ...load,
  }));
  console.log(`\n${formatSummaryTable(measurements.map(summarise))}`);
  console.log(`\n${formatDetailTable(measurements)}`);
}

/** 0 when every request succeeded; else the failures are listed and the exit code is 1. */
function reportErrors(measurements: readonly ZoomMeasurement[]): number {
  let errorCount = 0;
  for (const { list, sql, http } of measurements) {
    for (const [side, result] of [['SQL', sql], ['HTTP', http]] as const) {
      if (result.errorCount === 0) continue;
      errorCount += result.errorCount;
      console.error(`\nz${list.z} ${side}: ${result.errorCount} failed requests, the first:\n  ${result.errorSamples.join('\n  ')}`);
    }
  }
  return errorCount === 0 ? 0 : 1;
}

runBenchmark(main, (error) => error instanceof UsageError || error instanceof MissingToolError);
