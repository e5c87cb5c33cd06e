import type { TileCoord, TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { NotFoundError } from '../../core/errors.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { encodeTile, type CachedTile } from './cached-tile.js';
import type { TileServing } from './tile-serving.js';

/**
 * One vector tile through the cache, as the tile route serves it, for code without a request:
 * seeding (which then finds it cached) and offline packages. `tilesetId` is one id or several
 * joined by `,`; throws NotFoundError for an unknown tileset or a zoom outside its range, and
 * whatever the source throws (nothing is cached then). `gzipLevel` null keeps the tile as it is
 * (nothing will be stored: no point compressing what the caller decompresses at once).
 */
export async function readVectorTile(
  { tileCache, tileKeys, gzipLevel }: Pick<TileServing, 'tileCache' | 'tileKeys'> & { readonly gzipLevel: number | null },
  catalog: TilesetCatalog,
  tilesetId: string,
  grid: TileMatrixSet,
  tile: TileCoord,
  signal?: AbortSignal,
): Promise<CachedTile> {
  const { source, layers } = catalog.resolve(tilesetId);
  if (tile.z < source.minzoom || tile.z > source.maxzoom) {
    throw new NotFoundError(`zoom ${tile.z} is outside tileset "${source.id}" (zoom ${source.minzoom} to ${source.maxzoom})`);
  }
  const key = tileKeys.keyFor(tilesetId, layers, grid, tile);
  return (
    tileCache.peek(key) ??
    tileCache.getOrCompute(key, async (computeSignal) => encodeTile(await source.getTile(tile, grid, computeSignal), { gzipLevel }), signal)
  );
}
