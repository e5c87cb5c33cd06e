import { parseArgs } from 'node:util';
import type { AppConfig } from '../../core/config/load-config.js';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { decodeTileBody } from '../../server/cache/cached-tile.js';
import { createTileCache } from '../../server/cache/create-tile-cache.js';
import { readVectorTile } from '../../server/cache/read-vector-tile.js';
import { NO_CACHE_OBSERVER, type TileCache } from '../../server/cache/tile-cache.js';
import { VectorTileKeys } from '../../server/cache/vector-tile-keys.js';
import { StyleRasterRenderer } from '../../server/render/style-raster-renderer.js';
import { seedRequestFromQuery } from '../../server/seed/seed-request.js';
import { SeedService, type PreparedSeed } from '../../server/seed/seed-service.js';
import { loadTilesetCatalog } from '../../server/sources/tileset-catalog.js';
import { loadStyleCatalog, STYLES_DIR } from '../../server/styles/style-catalog.js';
import { withCliDatabase, type CommandExits } from './cli-database.js';

/** Options shared by `seed` and `export-mbtiles`. */
export const AREA_USAGE = `(--tileset <id> | --style <id> [--format png|webp|jpg] [--scale 1|2])
                (--bbox <w,s,e,n> | --county <code>) --zooms <min-max> [--grid <id>] [--concurrency <n>]`;

export const AREA_OPTIONS = {
  tileset: { type: 'string' },
  style: { type: 'string' },
  bbox: { type: 'string' },
  county: { type: 'string' },
  zooms: { type: 'string' },
  grid: { type: 'string' },
  format: { type: 'string' },
  scale: { type: 'string' },
  concurrency: { type: 'string' },
  help: { type: 'boolean' },
} as const;

type AreaValues = ReturnType<typeof parseArgs<{ options: typeof AREA_OPTIONS }>>['values'];

/** The request body `SeedService.prepare` checks, from the command line (`--zooms 10-14` or `10,14`). */
export function seedBodyFromArgs(values: Partial<Record<keyof AreaValues, string | boolean | undefined>>): Record<string, unknown> {
  const query: Record<string, string> = {};
  for (const name of ['tileset', 'style', 'bbox', 'county', 'zooms', 'grid', 'format', 'scale'] as const) {
    const value = values[name];
    if (typeof value === 'string') query[name] = name === 'zooms' ? value.replace(/^\s*(\d+)\s*-\s*(\d+)\s*$/, '$1,$2') : value;
  }
  return seedRequestFromQuery(query);
}

/** `--concurrency`, else `seed.concurrency`; a message when it is not a whole number 1 to 64. */
export function concurrencyOf(text: string | undefined, config: AppConfig): number | string {
  if (text === undefined) return config.seed.concurrency;
  const value = Number(text);
  return Number.isInteger(value) && value >= 1 && value <= 64 ? value : `--concurrency "${text}" is not a whole number 1 to 64`;
}

export interface SeedCliContext {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly service: SeedService;
  readonly tileCache: TileCache;
}

/**
 * The server's pieces a seed or export needs, built as `main.ts` builds them, over the configured
 * database and the configured shared cache tier (no in-process tier: it would die with the
 * command): what the CLI seeds, every server process using that tier finds.
 */
export async function withSeedContext<T>(work: (context: SeedCliContext) => Promise<T>): Promise<T> {
  return withCliDatabase(async (pool, config, logger) => {
    const catalog = await loadTilesetCatalog(pool, config, logger);
    const tileCache = createTileCache({ ...config.cache, memoryMaxBytes: 0 }, { logger, observer: NO_CACHE_OBSERVER });
    try {
      const styles = loadStyleCatalog(STYLES_DIR, catalog, logger, config.tilesets);
      const tileKeys = new VectorTileKeys(config);
      const cacheReads = { tileCache, tileKeys, gzipLevel: config.cache.gzipLevel };
      const raster = new StyleRasterRenderer({
        styles,
        catalog: () => catalog,
        vectorTile: async (current, tilesetId, grid, tile, signal) => decodeTileBody(await readVectorTile(cacheReads, current, tilesetId, grid, tile, signal)),
      });
      const service = new SeedService({ config, pool, tileCache, catalog: () => catalog, tileKeys, styles, raster });
      return await work({ config, logger, service, tileCache });
    } finally {
      await tileCache.close();
    }
  });
}

/**
 * The seed or export the command line asks for, counted and checked (SeedService.prepare), or
 * the exit code of its refusal, with the message printed. Other failures are thrown.
 */
export async function prepareFromArgs(service: SeedService, values: Parameters<typeof seedBodyFromArgs>[0], exits: CommandExits): Promise<PreparedSeed | number> {
  try {
    return await service.prepare(seedBodyFromArgs(values));
  } catch (error) {
    const code = refusalExit(error, exits);
    if (code !== null) return code;
    throw error;
  }
}

/** Exit code and message of a refused request: 400 and 422 are the command line's fault, 404 not found. */
export function refusalExit(error: unknown, exits: CommandExits): number | null {
  if (!(error instanceof AppError) || error.status >= 500) return null;
  console.error(error.message);
  return error.status === 404 ? exits.notFound : exits.usage;
}

/** "12m 05s", "41s". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '?';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}
