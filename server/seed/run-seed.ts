import type { TileCoord } from '../../core/grid/tile-matrix-set.js';
import type { CachedTile } from '../cache/cached-tile.js';
import type { TileCache } from '../cache/tile-cache.js';
import { planTiles, type SeedPlan } from './seed-plan.js';
import type { SeedTarget } from './seed-target.js';

/** Where a run is; sent as `progress` events and drawn by the CLI's bar. */
export interface SeedProgress {
  readonly total: number;
  /** Tiles finished: computed now or found in the cache. */
  readonly done: number;
  /** Computed by this run (missing from every tier). */
  readonly computed: number;
  /** Already cached (a resumed run skips them). */
  readonly cached: number;
  readonly elapsedMs: number;
  /** Estimated time left from the rate so far; null before the first tile. */
  readonly etaMs: number | null;
  /** The deepest zoom reached so far. */
  readonly zoom: number | null;
}

export interface SeedRunOptions {
  readonly concurrency: number;
  /** Aborting stops handing out tiles; tiles in flight finish or are cancelled, and the run rejects. */
  readonly signal?: AbortSignal | undefined;
  /** Called after every tile (cheap: keep heavy work out). */
  readonly onProgress?: ((progress: SeedProgress) => void) | undefined;
  /**
   * Each tile as it is ready (exports write it to the package). Called one at a time per
   * tile, in completion order. Without it tiles already cached are only checked (`has`), not read.
   */
  readonly onTile?: ((tile: TileCoord, cached: CachedTile) => void) | undefined;
}

/**
 * Makes sure every tile of the plan is in the cache. Tiles some tier already holds are skipped,
 * so a run that was interrupted (process killed, aborted, failed tile) is resumed by running it
 * again: only the missing tiles are computed. At most `concurrency` tiles are in flight. The
 * first failure stops the run (nothing failed is cached) and rejects naming the tile.
 */
export async function runSeed(plan: SeedPlan, target: SeedTarget, cache: TileCache, options: SeedRunOptions): Promise<SeedProgress> {
  const { signal, onProgress, onTile } = options;
  const started = performance.now();
  const tiles = planTiles(plan);
  let done = 0;
  let computed = 0;
  let cached = 0;
  let zoom: number | null = null;
  let failure: Error | null = null;
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  const progress = (): SeedProgress => {
    const elapsedMs = performance.now() - started;
    const etaMs = done === 0 ? null : Math.round((elapsedMs / done) * (plan.total - done));
    return { total: plan.total, done, computed, cached, elapsedMs: Math.round(elapsedMs), etaMs, zoom };
  };

  const seedOne = async (tile: TileCoord): Promise<void> => {
    const key = target.keyFor(tile, plan.grid);
    let wasComputed = false;
    if (!onTile && (await cache.has(key))) {
      cached++;
    } else {
      const entry = await cache.getOrCompute(key, (computeSignal) => {
        wasComputed = true;
        return target.compute(tile, plan.grid, computeSignal);
      }, stop.signal);
      if (wasComputed) computed++;
      else cached++;
      onTile?.(tile, entry);
    }
    done++;
    zoom = zoom === null ? tile.z : Math.max(zoom, tile.z);
    onProgress?.(progress());
  };

  const worker = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      const next = tiles.next();
      if (next.done) return;
      try {
        await seedOne(next.value);
      } catch (error) {
        if (stop.signal.aborted) return;
        failure = new Error(`tile ${plan.grid.id} ${next.value.z}/${next.value.x}/${next.value.y} of ${target.kind} "${target.id}" failed: ${(error as Error).message}`, { cause: error });
        stop.abort(failure);
        return;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure;
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('the seed run was aborted');
  return progress();
}
