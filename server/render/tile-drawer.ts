import './skia-memory.js';
import type { StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { paintLayer } from './canvas-painter.js';
import { compileStyle, type CompiledLayer } from './compiled-style.js';
import { encodeImage } from './encode-image.js';
import { scanlineBytes } from './png-encoder.js';
import type { RasterFormat } from './raster-tile-service.js';
import { decodeTile, type ImagePlacement, type TileFeatures } from './tile-features.js';

/** A style to draw with: its id and the validated style (renderable: see checkStyleForRendering). */
export interface DrawableStyle {
  readonly id: string;
  readonly style: StyleSpecification;
}

/** The vector tile of one tileset (MVT bytes) and where it lands on the image. */
export interface DrawSource {
  readonly tilesetId: string;
  readonly data: Uint8Array;
  readonly placement: ImagePlacement;
}

/** One image to draw: plain data, so that it can be posted to a render worker. */
export interface DrawRequest {
  readonly styleId: string;
  /** Side of the image in pixels. */
  readonly size: number;
  /** Style zoom (styleZoom) at which the layers' zoom rules are evaluated. */
  readonly zoom: number;
  /** 1 for 256 px tiles, 2 for @2x. */
  readonly pixelRatio: number;
  readonly format: RasterFormat;
  /** The vector tiles that have data; a tileset without one draws nothing. */
  readonly sources: readonly DrawSource[];
}

/** The encoded image and the milliseconds each step took. */
export interface DrawnImage {
  readonly image: Buffer;
  readonly decodeMs: number;
  readonly drawMs: number;
  readonly encodeMs: number;
}

/**
 * Draws images from vector tiles: in this thread (TileDrawer) or in worker threads (RenderPool).
 * Rejects for an unknown style id and when drawing or encoding fails.
 */
export interface TileDrawing {
  draw(request: DrawRequest): Promise<DrawnImage>;
}

/**
 * Decodes the vector tiles, draws the style's layers in order with Skia and encodes the image,
 * in the calling thread. Styles are compiled once, when the drawer is made.
 */
export class TileDrawer implements TileDrawing {
  private readonly compiled: ReadonlyMap<string, readonly CompiledLayer[]>;
  /**
   * Canvases free for the next image, by size: making one costs more than drawing a z16 tile,
   * clearing one almost nothing. Drawing is synchronous, so one canvas per size is in use at a
   * time; the pixels are copied out (getImageData) before encoding.
   */
  private readonly freeCanvases = new Map<number, Canvas>();
  /** The PNG encoder's scanline buffer, by image size; used synchronously, so one per size. */
  private readonly scanlines = new Map<number, Buffer>();

  constructor(styles: readonly DrawableStyle[]) {
    this.compiled = new Map(styles.map((style) => [style.id, compileStyle(style.style)]));
  }

  async draw({ styleId, size, zoom, pixelRatio, format, sources }: DrawRequest): Promise<DrawnImage> {
    const layers = this.compiled.get(styleId);
    if (!layers) throw new Error(`no style "${styleId}" to draw with`);
    const started = performance.now();
    const features = new Map<string, TileFeatures>();
    for (const { tilesetId, data, placement } of sources) features.set(tilesetId, decodeTile(data, placement));
    const decoded = performance.now();

    const canvas = this.freeCanvases.get(size) ?? createCanvas(size, size);
    this.freeCanvases.delete(size);
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, size, size);
    const paint = { ctx, size, zoom, pixelRatio };
    for (const layer of layers) {
      if (zoom < layer.minzoom || zoom >= layer.maxzoom) continue;
      if (layer.properties.get('visibility')!.evaluate(zoom) === 'none') continue;
      const layerFeatures = layer.tilesetId === null ? [] : features.get(layer.tilesetId)?.get(layer.tilesetId);
      if (layer.type !== 'background' && !layerFeatures) continue;
      const filter = layer.filter;
      const drawn = filter ? layerFeatures!.filter((feature) => filter(zoom, feature.styleFeature)) : layerFeatures ?? [];
      paintLayer(paint, layer, drawn);
    }
    // Un-premultiplied RGBA: Skia converts for half the CPU of canvas.data() (premultiplied)
    // followed by an unpremultiply. Skia draws lazily: most of the drawing is done here.
    const { data } = ctx.getImageData(0, 0, size, size);
    const pixels = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.freeCanvases.set(size, canvas);
    const drawn = performance.now();

    let scanlines = this.scanlines.get(size);
    if (!scanlines) {
      scanlines = Buffer.allocUnsafe(scanlineBytes(size, size));
      this.scanlines.set(size, scanlines);
    }
    const image = await encodeImage(pixels, size, format, scanlines);
    return { image, decodeMs: decoded - started, drawMs: drawn - decoded, encodeMs: performance.now() - drawn };
  }
}
