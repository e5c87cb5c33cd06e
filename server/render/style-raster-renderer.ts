import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { NotFoundError } from '../../core/errors.js';
import { isTileInSet, type TileCoord, type TileMatrixSet } from '../../core/grid/tile-matrix-set.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import type { StyleCatalog, StyleInfo } from '../styles/style-catalog.js';
import { paintLayer } from './canvas-painter.js';
import { compileStyle, type CompiledLayer } from './compiled-style.js';
import { encodeImage } from './encode-image.js';
import type { RasterOptions, RasterTileService } from './raster-tile-service.js';

export type { RenderTimings } from './raster-tile-service.js';
import { styleZoom } from './style-zoom.js';
import { decodeTile, type TileFeatures } from './tile-features.js';
import { RASTER_TILE_SIZE_PIXELS, sourceTileFor } from './source-tile.js';

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
}

/**
 * Raster tiles drawn from a style: the vector tiles of its tilesets in the same grid, through
 * the catalog's tile sources (and so through whatever cache wraps them), decoded, drawn layer by
 * layer in style order with Skia, and encoded with sharp.
 *
 * No seam shows between tiles: every vector tile carries a buffer around it (64 of 4096 units,
 * 4 px at 256 px), so polygons cut at the buffer's edge are cut outside the image, and lines
 * thinner than the buffer are drawn whole across the tile edge.
 */
export class StyleRasterRenderer implements RasterTileService {
  private readonly styles: StyleCatalog;
  private readonly catalog: () => TilesetCatalog;
  private readonly vectorTile: VectorTileReader;
  private readonly compiled: ReadonlyMap<string, readonly CompiledLayer[]>;
  /**
   * Canvases free for the next render, by size: making one costs more than drawing a z16 tile,
   * clearing one almost nothing. Renders draw synchronously, so one canvas per size is in use
   * at a time; the pixels are copied out (getImageData) before the (asynchronous) encoding.
   */
  private readonly freeCanvases = new Map<number, Canvas>();

  constructor({ styles, catalog, vectorTile = readFromSource }: StyleRasterRendererDeps) {
    this.styles = styles;
    this.catalog = catalog;
    this.vectorTile = vectorTile;
    this.compiled = new Map(styles.list().map((style) => [style.id, compileStyle(style.style)]));
  }

  async render(styleId: string, tile: TileCoord, grid: TileMatrixSet, options: RasterOptions, signal?: AbortSignal): Promise<Buffer> {
    const style = this.styles.get(styleId);
    checkTile(style, tile, grid);
    const timings = options.timings;
    const size = RASTER_TILE_SIZE_PIXELS * options.scale;

    const started = performance.now();
    const vectorTiles = await this.fetchVectorTiles(style, tile, grid, options.catalog ?? this.catalog(), signal);
    const fetched = performance.now();

    const features = new Map<string, TileFeatures>();
    for (const { tilesetId, data, placementFor } of vectorTiles) {
      if (data) features.set(tilesetId, decodeTile(data, placementFor(size)));
    }
    const decoded = performance.now();

    const canvas = this.freeCanvases.get(size) ?? createCanvas(size, size);
    this.freeCanvases.delete(size);
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, size, size);
    const paint = { ctx, size, zoom: styleZoom(grid, tile.z), pixelRatio: options.scale };
    for (const layer of this.compiled.get(style.id)!) {
      if (paint.zoom < layer.minzoom || paint.zoom >= layer.maxzoom) continue;
      if (layer.properties.get('visibility')!.evaluate(paint.zoom) === 'none') continue;
      const layerFeatures = layer.tilesetId === null ? [] : features.get(layer.tilesetId)?.get(layer.tilesetId);
      if (layer.type !== 'background' && !layerFeatures) continue;
      const filter = layer.filter;
      const drawn = filter ? layerFeatures!.filter((feature) => filter(paint.zoom, feature.styleFeature)) : layerFeatures ?? [];
      paintLayer(paint, layer, drawn);
    }
    // Un-premultiplied RGBA: Skia converts for half the CPU of canvas.data() (premultiplied)
    // followed by sharp's unpremultiply (0.8 ms against 0.6 + 1.1 ms per 256 px tile).
    const { data } = ctx.getImageData(0, 0, size, size);
    const pixels = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.freeCanvases.set(size, canvas);
    const drawnAt = performance.now();

    signal?.throwIfAborted();
    const image = await encodeImage(pixels, size, options.format);
    if (timings) {
      timings.vectorMs = fetched - started;
      timings.decodeMs = decoded - fetched;
      timings.drawMs = drawnAt - decoded;
      timings.encodeMs = performance.now() - drawnAt;
    }
    return image;
  }

  /**
   * The vector tile of each tileset the style draws from, in parallel. A tileset configured but
   * not published yet has no data (and no tile is asked for); one whose zoom range starts above
   * this zoom draws nothing here, as in MapLibre; one that ends below is overzoomed.
   */
  private fetchVectorTiles(style: StyleInfo, tile: TileCoord, grid: TileMatrixSet, catalog: TilesetCatalog, signal?: AbortSignal) {
    const served = new Set(catalog.list().map((layer) => layer.id));
    return Promise.all(
      style.sourceTilesets.filter((id) => served.has(id)).map(async (tilesetId) => {
        const { source } = catalog.resolve(tilesetId);
        const sourceTile = sourceTileFor(tile, source.minzoom, source.maxzoom);
        const data = sourceTile ? await this.vectorTile(catalog, tilesetId, grid, sourceTile.tile, signal) : null;
        return { tilesetId, data, placementFor: (size: number) => sourceTile!.placementFor(size) };
      }),
    );
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
