import { NotFoundError } from '../../core/errors.js';
import { isTileInSet, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import type { StyleCatalog, StyleInfo } from '../styles/style-catalog.js';
import type { RasterOptions, RasterTileService } from './raster-tile-service.js';
import { RASTER_TILE_SIZE_PIXELS, sourceTileFor } from './source-tile.js';
import { styleZoom } from './style-zoom.js';
import { TileDrawer, type DrawSource, type TileDrawing } from './tile-drawer.js';

export type { RenderTimings } from './raster-tile-service.js';

/** The vector tile (MVT bytes, null when empty) of one tileset, as the /tiles route serves it. */
export type VectorTileReader = (catalog: TilesetCatalog, tilesetId: string, grid: TileMatrixSet, tile: TileCoord, signal?: AbortSignal) => Promise<Buffer | null>;

export interface StyleRasterRendererDeps {
  readonly styles: StyleCatalog;
  /** Read on every render, so a catalog rebuilt after a publish takes effect at once. */
  readonly catalog: () => TilesetCatalog;
  /**
   * How vector tiles are read: through the tile cache in the server (main.ts), so a raster tile
   * reuses the vector tiles /tiles has made and the other way round; straight from the
   * catalog's sources when not given.
   */
  readonly vectorTile?: VectorTileReader;
  /**
   * What decodes, draws and encodes: worker threads in the server (RenderPool, main.ts); in this
   * thread (TileDrawer over the catalog's styles) when not given.
   */
  readonly drawing?: TileDrawing;
}

/**
 * Raster tiles drawn from a style: the vector tiles of its tilesets in the same grid, through
 * the catalog's tile sources (and so through whatever cache wraps them), decoded, drawn layer by
 * layer in style order with Skia, and encoded (tile-drawer.ts).
 *
 * No seam shows between tiles: every vector tile carries a buffer around it (64 of 4096 units,
 * 4 px at 256 px), so polygons cut at the buffer's edge are cut outside the image, and lines
 * thinner than the buffer are drawn whole across the tile edge.
 */
export class StyleRasterRenderer implements RasterTileService {
  private readonly styles: StyleCatalog;
  private readonly catalog: () => TilesetCatalog;
  private readonly vectorTile: VectorTileReader;
  private readonly drawing: TileDrawing;

  constructor({ styles, catalog, vectorTile = readFromSource, drawing }: StyleRasterRendererDeps) {
    this.styles = styles;
    this.catalog = catalog;
    this.vectorTile = vectorTile;
    this.drawing = drawing ?? new TileDrawer(styles.list());
  }

  async render(styleId: string, tile: TileCoord, grid: TileMatrixSet, options: RasterOptions, signal?: AbortSignal): Promise<Buffer> {
    const style = this.styles.get(styleId);
    checkTile(style, tile, grid);
    const size = RASTER_TILE_SIZE_PIXELS * options.scale;

    const started = performance.now();
    const sources = await this.fetchVectorTiles(style, tile, grid, size, options.catalog ?? this.catalog(), signal);
    const fetched = performance.now();
    signal?.throwIfAborted();
    const drawn = await this.drawing.draw({ styleId: style.id, size, zoom: styleZoom(grid, tile.z), pixelRatio: options.scale, format: options.format, sources });
    if (options.timings) {
      options.timings.vectorMs = fetched - started;
      options.timings.decodeMs = drawn.decodeMs;
      options.timings.drawMs = drawn.drawMs;
      options.timings.encodeMs = drawn.encodeMs;
    }
    return drawn.image;
  }

  /**
   * The vector tile of each tileset the style draws from, in parallel; those with data. A tileset
   * configured but not published yet has no data (and no tile is asked for); one whose zoom range
   * starts above this zoom draws nothing here, as in MapLibre; one that ends below is overzoomed.
   */
  private async fetchVectorTiles(style: StyleInfo, tile: TileCoord, grid: TileMatrixSet, size: number, catalog: TilesetCatalog, signal?: AbortSignal): Promise<DrawSource[]> {
    const served = new Set(catalog.list().map((layer) => layer.id));
    const sources = await Promise.all<DrawSource | null>(
      style.sourceTilesets.filter((id) => served.has(id)).map(async (tilesetId) => {
        const { source } = catalog.resolve(tilesetId);
        const sourceTile = sourceTileFor(tile, source.minzoom, source.maxzoom);
        const data = sourceTile ? await this.vectorTile(catalog, tilesetId, grid, sourceTile.tile, signal) : null;
        return data ? { tilesetId, data, placement: sourceTile!.placementAt(size) } : null;
      }),
    );
    return sources.filter((source): source is DrawSource => source !== null);
  }
}

function readFromSource(catalog: TilesetCatalog, tilesetId: string, grid: TileMatrixSet, tile: TileCoord, signal?: AbortSignal): Promise<Buffer | null> {
  return catalog.resolve(tilesetId).source.getTile(tile, grid, signal);
}

/** A tile outside the grid or the style's zoom range: 404, before any I/O. */
export function checkTile(style: StyleInfo, tile: TileCoord, grid: TileMatrixSet): void {
  if (!isTileInSet(grid, tile)) throw new NotFoundError(`tile ${tile.z}/${tile.x}/${tile.y} is outside the ${grid.id} grid`);
  if (tile.z < style.minzoom || tile.z > style.maxzoom) {
    throw new NotFoundError(`zoom ${tile.z} is outside style "${style.id}" (zoom ${style.minzoom} to ${style.maxzoom})`);
  }
}
