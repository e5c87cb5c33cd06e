import { loadConfig, type AppConfig } from '../core/config/load-config.js';
import type { TilesetConfig } from '../core/config/schema.js';
import { WebMercatorQuad } from '../core/grid/tile-matrix-set.js';
import { createLogger } from '../core/logger.js';
import { buildMvtQuery } from '../server/sources/mvt-query.js';
import { prepareBenchDatabase } from './support/bench-database.js';
import { parseBenchOptions, USAGE, UsageError, type BenchOptions } from './support/bench-options.js';
import { HttpClients } from './support/http-clients.js';
import { collectMachineInfo, formatMachineInfo, type MachineInfo } from './support/machine-info.js';
import { measureZoom, type ZoomMeasurement } from './support/measure-zoom.js';
import { formatDetailTable, formatSummaryTable, summarise } from './support/report.js';
import { startServer } from './support/server-process.js';
import { SqlClients } from './support/sql-clients.js';
import { selectTileLists } from './support/tile-list.js';

/**
 * `npm run bench:tiles`: tiles per second of the server's ST_AsMVT statement run directly
 * against the same tiles through the HTTP server, per zoom. See bench/README.md.
 */

/** The tileset measured: the land-use parcels, the densest layer served. */
const TILESET_ID = 'landuse';

type Cleanup = () => Promise<void> | void;

/** Ctrl-C or SIGTERM: the running measurement stops, clean-up runs, nothing is reported. */
class InterruptedError extends Error {
  constructor(signal: string) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
  }
}

const progress = (message: string) => console.error(`bench: ${message}`);

/** Returns the exit code: 0, or 1 when a request failed. */
async function main(signal: AbortSignal, onCleanup: (cleanup: Cleanup) => void): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2), process.env);
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  // The same configuration the child server reads (CONFIG_FILE), pointed at the bench database.
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
  const sql = await SqlClients.open(config.databaseUrl, config.database, options.concurrency);
  onCleanup(() => sql.close());
  const http = new HttpClients(server.baseUrl, options.concurrency);
  onCleanup(() => http.close());
  if (options.concurrency > config.database.poolSize) {
    progress(`warning: --concurrency ${options.concurrency} exceeds the server's database.poolSize ${config.database.poolSize}: ` +
      'HTTP requests queue for a connection while the SQL side has one per client');
  }

  const sides = { sql: sql.fetcher(buildMvtQuery(tileset, WebMercatorQuad)), http: http.fetcher(TILESET_ID) };
  const measurements: ZoomMeasurement[] = [];
  for (const list of lists) measurements.push(await measureZoom(list, sides, { ...options, signal }, progress));
  printReport(machine, config, options, parcelCount, measurements);
  return reportErrors(measurements);
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

function printReport(machine: MachineInfo, config: AppConfig, options: BenchOptions, parcelCount: number, measurements: readonly ZoomMeasurement[]): void {
  console.log(formatMachineInfo(machine, {
    parcels: parcelCount,
    'server pool': `${config.database.poolSize} connections`,
    run: `${options.concurrency} concurrent clients per side, ${options.seconds} s per side and zoom (SQL, HTTP, HTTP, SQL halves)`,
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

/** Undone in reverse order at the end, on failure and on Ctrl-C: the child server above all. */
const cleanups: Cleanup[] = [];
async function closeAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await Promise.resolve()
      .then(cleanup)
      .catch((error: unknown) => console.error(`bench: clean-up failed: ${(error as Error).message}`));
  }
}

// The first signal stops the measurement at its next check; `once`, so that a second one ends
// the process at once (Ctrl-C in a terminal reaches the child server too, which stops itself).
const interruption = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping`);
    interruption.abort(new InterruptedError(signal));
  });
}

main(interruption.signal, (cleanup) => cleanups.push(cleanup)).then(
  async (code) => {
    await closeAll();
    process.exit(code);
  },
  async (error: unknown) => {
    await closeAll();
    if (error instanceof InterruptedError) {
      console.error(`bench: ${error.message}`);
      process.exit(130);
    }
    console.error(error instanceof UsageError ? error.message : `bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
