import { rename, rm } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { BadRequestError } from '../../core/errors.js';
import { WebMercatorQuad, type Bounds } from '../../core/grid/tile-matrix-set.js';
import type { TileCache } from '../cache/tile-cache.js';
import { runSeed, type SeedProgress } from '../seed/run-seed.js';
import type { PreparedSeed } from '../seed/seed-service.js';
import { MbtilesWriter } from './mbtiles-writer.js';

export interface ExportOptions {
  readonly cache: TileCache;
  readonly concurrency: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: SeedProgress) => void) | undefined;
  /** MBTiles `attribution`. */
  readonly attribution: string;
}

export interface ExportResult {
  readonly file: string;
  /** Tiles written: every tile of the plan, less vector tiles without features (absent means empty in MBTiles). */
  readonly tiles: number;
  readonly emptyTiles: number;
  readonly progress: SeedProgress;
}

/** Web Mercator ends here; MBTiles bounds are WGS 84 degrees within it. */
const MERCATOR_MAX_LATITUDE = 85.0511287798066;

/**
 * Writes the tiles of a prepared seed to an MBTiles 1.3 file, taking them from the tile cache
 * (computing and caching what is missing, so an export also seeds). MBTiles is Web Mercator
 * by definition: other grids are refused. The package is written to `file.partial` and renamed
 * when complete, so `file` is never a half-written package; a failed or aborted export leaves
 * nothing behind.
 */
export async function exportMbtiles(prepared: PreparedSeed, file: string, options: ExportOptions): Promise<ExportResult> {
  const { request, target, plan } = prepared;
  if (plan.grid.id !== WebMercatorQuad.id) {
    throw new BadRequestError(`grid: MBTiles packages are ${WebMercatorQuad.id} (EPSG:3857) only, not ${plan.grid.id}`);
  }
  const partial = `${file}.partial`;
  await rm(partial, { force: true });
  const writer = new MbtilesWriter(partial);
  let emptyTiles = 0;
  try {
    const progress = await runSeed(plan, target, options.cache, {
      concurrency: options.concurrency,
      signal: options.signal,
      onProgress: options.onProgress,
      onTile: (tile, cached) => {
        if (!cached.body) {
          // An empty vector tile is left out (a reader treats a missing tile as empty);
          // raster tiles are always images, so this is only reached for vector tiles.
          emptyTiles++;
          return;
        }
        // The spec: pbf tile_data is gzip-compressed. Small tiles are cached as they are.
        const data = target.format === 'pbf' && cached.encoding === 'identity' ? gzipSync(cached.body) : cached.body;
        writer.addTile(tile.z, tile.x, tile.y, data);
      },
    });
    const minzoom = plan.levels[0]?.z ?? request.minZoom;
    const maxzoom = plan.levels.at(-1)?.z ?? request.maxZoom;
    const bounds = clampToMercator(plan.bbox);
    const areaText = plan.county ? `county ${plan.county.name} (${plan.county.code})` : `bbox ${bounds.join(',')}`;
    writer.writeMetadata({
      name: target.title || target.id,
      format: target.format,
      bounds,
      center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, Math.min(maxzoom, Math.max(minzoom, Math.round((minzoom + maxzoom) / 2)))],
      minzoom,
      maxzoom,
      type: 'overlay',
      version: target.dataVersion,
      description: `${target.kind} ${target.id}, ${areaText}, zoom ${minzoom}-${maxzoom}; cache namespace ${target.keyFor({ z: minzoom, x: 0, y: 0 }, plan.grid).namespace}`,
      attribution: options.attribution,
      ...(target.format === 'pbf' ? { vectorLayers: target.layers } : {}),
    });
    const tiles = writer.tileCount;
    writer.close();
    await rename(partial, file);
    return { file, tiles, emptyTiles, progress };
  } catch (error) {
    writer.discard();
    await rm(partial, { force: true });
    throw error;
  }
}

function clampToMercator([west, south, east, north]: Bounds): Bounds {
  const clamp = (latitude: number) => Math.max(-MERCATOR_MAX_LATITUDE, Math.min(MERCATOR_MAX_LATITUDE, latitude));
  return [west, clamp(south), east, clamp(north)];
}
