import type { TileCoord, TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import { encodeTile } from '../cache/cached-tile.js';
import type { TileCache } from '../cache/tile-cache.js';
import { buildTileKey, type TileKey } from '../cache/tile-key.js';
import { NO_DATA_TOKEN, type VectorTileKeys } from '../cache/vector-tile-keys.js';
import { STYLE_NAMESPACE_PREFIX } from '../cache/raster-tile-staleness.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import type { StyleCatalog, StyleInfo } from '../styles/style-catalog.js';
import type { RasterOptions, RasterTileService } from './raster-tile-service.js';
import { checkTile } from './style-raster-renderer.js';

export interface CachedRasterTilesDeps {
  readonly renderer: RasterTileService;
  readonly tileCache: TileCache;
  readonly tileKeys: VectorTileKeys;
  readonly styles: StyleCatalog;
  /** Read on every request, so a catalog rebuilt after a publish means new keys at once. */
  readonly catalog: () => TilesetCatalog;
}

/**
 * Raster tiles through the tile cache (for /styles and WMTS alike). A raster tile's key holds
 * the style's revision and the live version token of every tileset it draws from, so editing
 * a style or publishing any of its datasets gives new keys: no stale image is reachable. A
 * tileset that has no data yet contributes `{id}-none`, which changes when it is first published.
 * Images are stored as they are (already compressed).
 */
export class CachedRasterTiles implements RasterTileService {
  constructor(private readonly deps: CachedRasterTilesDeps) {}

  async render(styleId: string, tile: TileCoord, grid: TileMatrixSet, options: RasterOptions, signal?: AbortSignal): Promise<Buffer> {
    const style = this.deps.styles.get(styleId);
    // Validated before the key is built: a tile outside the grid or zoom range is a 404, never a cache entry.
    checkTile(style, tile, grid);
    // One catalog for the key and the drawing: the image is of exactly the versions the key names.
    const catalog = this.deps.catalog();
    const key = this.keyFor(style, tile, grid, options, catalog);
    const cached =
      this.deps.tileCache.peek(key) ??
      (await this.deps.tileCache.getOrCompute(
        key,
        async (computeSignal) => encodeTile(await this.deps.renderer.render(styleId, tile, grid, { ...options, catalog }, computeSignal), { gzipLevel: null }),
        signal,
      ));
    if (!cached.body) throw new Error(`raster tile ${key.id} is cached without an image`);
    return cached.body;
  }

  /** Public for seeding and exports (server/seed): tiles they store are this route's hits. */
  keyFor(style: StyleInfo, tile: TileCoord, grid: TileMatrixSet, options: Pick<RasterOptions, 'format' | 'scale'>, catalog = this.deps.catalog()): TileKey {
    const served = new Map(catalog.list().map((layer) => [layer.id, layer]));
    const versions = [`r${style.revision}`];
    for (const tilesetId of style.sourceTilesets) {
      const layer = served.get(tilesetId);
      versions.push(`${tilesetId}-${layer ? this.deps.tileKeys.versionToken(layer) : NO_DATA_TOKEN}`);
    }
    return buildTileKey({
      // Styles share the key space with tilesets; the prefix keeps a style and a tileset of one name apart.
      tileset: `${STYLE_NAMESPACE_PREFIX}${style.id}`,
      versions,
      grid: grid.id,
      z: tile.z,
      x: tile.x,
      y: tile.y,
      format: options.format,
      scale: options.scale,
    });
  }
}
