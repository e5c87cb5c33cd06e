import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type AppConfig } from '../core/config/load-config.js';
import { startEmbeddedDatabase } from '../core/db/embedded/embedded-database.js';
import { migrate } from '../core/db/migrate.js';
import { createPool, type Pool } from '../core/db/pool.js';
import { WebMercatorQuad, type TileCoord } from '../core/grid/tile-matrix-set.js';
import { createLogger } from '../core/logger.js';
import { projectRoot } from '../core/project-root.js';
import { ensureSampleData } from '../pipeline/sample/ensure-sample-data.js';
import { loadTilesetCatalog } from '../server/sources/tileset-catalog.js';
import type { TileSource } from '../server/sources/tile-source.js';
import { prepareBenchDatabase } from './support/bench-database.js';
import { DEFAULT_BENCH_DATABASE_URL } from './support/bench-options.js';
import { collectMachineInfo, formatMachineInfo } from './support/machine-info.js';
import { formatTable } from './support/report.js';
import { progress, runBenchmark, type Cleanup } from './support/run-benchmark.js';
import { selectTileLists, type TileList } from './support/tile-list.js';

/**
 * `npm run bench:embedded`: what the embedded default costs. Tiles per second of the Node
 * encoder (geojson-vt + vt-pbf over geometries PostGIS clips per tile, the encoder used on
 * PGlite) next to ST_AsMVT, both on the same full PostGIS and the same tiles; then the Node
 * encoder on the embedded PGlite itself. One client, tiles in turn: the cost of a tile, not
 * the machine's parallel capacity. See bench/README.md.
 */

const USAGE = `Usage: npm run bench:embedded -- [--seconds S] [--parcels N] [--embedded-parcels N] [--zooms LIST] [--no-embedded]

  --seconds S            measured time per encoder and zoom (default 10)
  --parcels N            parcels in the PostGIS bench database (default 50000; BENCH_DATABASE_URL)
  --embedded-parcels N   parcels in the embedded bench database (default 5000, as npm start)
  --zooms LIST           comma-separated zoom levels (default 12,14,16)
  --no-embedded          skip PGlite (its first run makes a database: minutes)

The embedded bench database lives in .data/bench-embedded (kept between runs).`;

class UsageError extends Error {}

interface Options {
  readonly seconds: number;
  readonly parcels: number;
  readonly embeddedParcels: number;
  readonly zooms: readonly number[];
  readonly embedded: boolean;
}

interface Rate {
  readonly tilesPerSecond: number;
  readonly meanBytes: number;
}

async function main(signal: AbortSignal, onCleanup: (cleanup: Cleanup) => void): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const logger = createLogger('bench', process.env.LOG_LEVEL ?? 'error');
  const databaseUrl = process.env.BENCH_DATABASE_URL || DEFAULT_BENCH_DATABASE_URL;
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const { pool, parcelCount } = await prepareBenchDatabase(config, options.parcels, logger, progress);
  onCleanup(() => pool.end());
  const machine = await collectMachineInfo(pool);
  const lists = await selectTileLists(pool, landuseTileset(config), options.zooms);

  const postgis = landuseSource(await loadTilesetCatalog(pool, config, logger, 'postgis'));
  const node = landuseSource(await loadTilesetCatalog(pool, config, logger, 'node'));
  const rows: string[][] = [];
  const results = new Map<number, { postgis: Rate; node: Rate; pglite?: Rate }>();
  for (const list of lists) {
    progress(`z${list.z}: ST_AsMVT on PostGIS`);
    const sql = await measure(postgis, list, options.seconds, signal);
    progress(`z${list.z}: Node encoder on PostGIS`);
    const nodeRate = await measure(node, list, options.seconds, signal);
    results.set(list.z, { postgis: sql, node: nodeRate });
  }

  let embeddedParcels = 0;
  if (options.embedded) {
    const dataDir = join(projectRoot, '.data', 'bench-embedded');
    mkdirSync(dataDir, { recursive: true });
    progress(`starting the embedded database in ${dataDir} (the first run makes it and loads ${options.embeddedParcels} parcels: minutes)`);
    const embedded = await startEmbeddedDatabase({ dataDir, logger });
    onCleanup(() => embedded.close());
    const embeddedConfig: AppConfig = { ...config, databaseUrl: embedded.url };
    const embeddedPool = createPool({ url: embedded.url, database: config.database, applicationName: 'planmap-bench', logger });
    onCleanup(() => embeddedPool.end());
    await migrate(embeddedPool, logger);
    await ensureSampleData(embeddedPool, embeddedConfig, logger, options.embeddedParcels);
    embeddedParcels = await countParcels(embeddedPool);
    const embeddedSource = landuseSource(await loadTilesetCatalog(embeddedPool, embeddedConfig, logger));
    const embeddedLists = await selectTileLists(embeddedPool, landuseTileset(config), options.zooms);
    for (const list of embeddedLists) {
      progress(`z${list.z}: Node encoder on PGlite`);
      results.get(list.z)!.pglite = await measure(embeddedSource, list, options.seconds, signal);
    }
  }

  for (const list of lists) {
    const result = results.get(list.z)!;
    rows.push([
      String(list.z),
      String(list.tiles.length),
      formatRate(result.postgis),
      formatRate(result.node),
      (result.node.tilesPerSecond / result.postgis.tilesPerSecond).toFixed(2),
      result.pglite ? formatRate(result.pglite) : '–',
    ]);
  }
  console.log(formatMachineInfo(machine, {
    parcels: parcelCount,
    'embedded parcels': options.embedded ? embeddedParcels : 'skipped',
    'seconds per cell': options.seconds,
    'load average (1 min)': loadavg()[0]!.toFixed(2),
  }));
  console.log('');
  console.log(formatTable(
    ['zoom', 'tiles', 'ST_AsMVT, PostGIS (tiles/s, mean bytes)', 'Node encoder, PostGIS', 'Node/ST_AsMVT', 'Node encoder, PGlite'],
    rows,
  ));
  return 0;
}

/** Requests the list's tiles one after another, round and round, for `seconds` (after one warm-up pass over up to 20 tiles). */
async function measure(source: TileSource, list: TileList, seconds: number, signal: AbortSignal): Promise<Rate> {
  for (const tile of list.tiles.slice(0, 20)) await source.getTile(tile, WebMercatorQuad);
  let count = 0;
  let bytes = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    signal.throwIfAborted();
    const tile: TileCoord = list.tiles[count % list.tiles.length]!;
    const mvt = await source.getTile(tile, WebMercatorQuad);
    bytes += mvt?.length ?? 0;
    count++;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { tilesPerSecond: count / elapsed, meanBytes: bytes / count };
}

function formatRate(rate: Rate): string {
  return `${rate.tilesPerSecond.toFixed(1)} (${Math.round(rate.meanBytes)} B)`;
}

function landuseTileset(config: AppConfig) {
  const tileset = config.tilesets.find((candidate) => candidate.id === 'landuse');
  if (!tileset) throw new UsageError(`${config.configFile}: no tileset "landuse" to measure`);
  return tileset;
}

function landuseSource(catalog: Awaited<ReturnType<typeof loadTilesetCatalog>>): TileSource {
  const source = catalog.list().find((layer) => layer.id === 'landuse');
  if (!source) throw new Error('the landuse tileset is not served (no published data)');
  return source;
}

async function countParcels(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM live.landuse');
  return rows[0]?.count ?? 0;
}

function parseOptions(argv: readonly string[]): Options | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        seconds: { type: 'string' },
        parcels: { type: 'string' },
        'embedded-parcels': { type: 'string' },
        zooms: { type: 'string' },
        'no-embedded': { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) return null;
  const zooms = (values.zooms ?? '12,14,16').split(',').map((text) => integer('--zooms', text, 0, 24));
  return {
    seconds: integer('--seconds', values.seconds ?? '10', 1, 3600),
    parcels: integer('--parcels', values.parcels ?? '50000', 10, 5_000_000),
    embeddedParcels: integer('--embedded-parcels', values['embedded-parcels'] ?? '5000', 10, 1_000_000),
    zooms,
    embedded: !values['no-embedded'],
  };
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`${name}: "${text}" is not a whole number from ${min} to ${max}`);
  return value;
}

runBenchmark(main, (error) => error instanceof UsageError);
