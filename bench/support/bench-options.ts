import { parseArgs } from 'node:util';

/** Where the benchmark keeps its own copy of the sample, apart from the working database. */
export const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/planmap_bench';

export const USAGE = `Usage: npm run bench:tiles -- [--load c|node] [--concurrency N] [--seconds S] [--parcels N] [--zooms LIST]

Measures vector tiles per second of the landuse tileset two ways, on the same tiles: the
server's own ST_AsMVT statement run directly over N PostgreSQL connections, and the real HTTP
server (a child process) under N keep-alive clients. Prints both rates, their ratio and the target.

  --load c|node    load generators (default c): c = pgbench for SQL and wrk for HTTP, which cost
                   little CPU (apt-get install wrk); node = pg and node:http in this process
  --concurrency N  concurrent SQL clients and concurrent HTTP clients (default 8, 1 to 200)
  --seconds S      measured seconds per side and zoom (default 10, 1 to 3600; whole seconds
                   with --load c, as wrk and pgbench take them)
  --parcels N      the bench database must hold about this many parcels; fewer and the sample is
                   regenerated with N (default 50000, 50000 to 5000000)
  --zooms LIST     comma-separated zoom levels (default 12,14,16)
  --help           this text

BENCH_DATABASE_URL names the bench database (default ${DEFAULT_BENCH_DATABASE_URL});
it is created when missing. CONFIG_FILE picks the configuration, as for the server.`;

/**
 * Who sends the load. The load generators share the CPUs with PostgreSQL and the server, so
 * their own cost per request moves the ratio: `c` (pgbench, wrk) costs a fraction of `node`.
 */
export const LOAD_MODES = ['c', 'node'] as const;
export type LoadMode = (typeof LOAD_MODES)[number];

export interface BenchOptions {
  readonly load: LoadMode;
  /** Concurrent SQL connections on the SQL side and concurrent HTTP clients on the HTTP side. */
  readonly concurrency: number;
  /** Measured time per side and zoom, in seconds (split over two runs, see README). */
  readonly seconds: number;
  /** Parcels the bench database must hold (approximately: the generator fits a grid). */
  readonly parcels: number;
  readonly zooms: readonly number[];
  readonly databaseUrl: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n\n${USAGE}`);
    this.name = 'UsageError';
  }
}

/** Parsed and range-checked options, or null when --help was asked for. */
export function parseBenchOptions(args: readonly string[], env: NodeJS.ProcessEnv): BenchOptions | null {
  const values = readArgs(args);
  if (values.help) return null;
  return {
    load: parseLoadMode(values.load),
    concurrency: parseInteger('--concurrency', values.concurrency, 1, 200),
    seconds: parseSeconds(values.seconds),
    parcels: parseInteger('--parcels', values.parcels, 50_000, 5_000_000),
    zooms: parseZooms(values.zooms),
    databaseUrl: env.BENCH_DATABASE_URL || DEFAULT_BENCH_DATABASE_URL,
  };
}

function readArgs(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: {
        load: { type: 'string', default: 'c' },
        concurrency: { type: 'string', default: '8' },
        seconds: { type: 'string', default: '10' },
        parcels: { type: 'string', default: '50000' },
        zooms: { type: 'string', default: '12,14,16' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    // Unknown options and missing values: parseArgs names the option in its message.
    throw new UsageError((error as Error).message);
  }
}

function parseLoadMode(text: string): LoadMode {
  const mode = LOAD_MODES.find((candidate) => candidate === text);
  if (!mode) throw new UsageError(`--load: "${text}" is not one of ${LOAD_MODES.join(', ')}`);
  return mode;
}

function parseInteger(option: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${option}: "${text}" is not a whole number from ${min} to ${max}`);
  }
  return value;
}

function parseSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 1 || value > 3600) {
    throw new UsageError(`--seconds: "${text}" is not a number of seconds from 1 to 3600`);
  }
  return value;
}

/** Zooms are checked against the tileset's range later, once the configuration is read. */
function parseZooms(text: string): number[] {
  const zooms = text.split(',').map((part) => parseInteger('--zooms', part.trim(), 0, 24));
  if (new Set(zooms).size !== zooms.length) throw new UsageError(`--zooms: "${text}" lists a zoom twice`);
  return zooms;
}
