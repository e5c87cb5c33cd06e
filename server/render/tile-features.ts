import type { Feature } from '@maplibre/maplibre-gl-style-spec';
import { VectorTile, type VectorTileFeature } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';

/**
 * Where a vector tile lands on the image, whatever its extent: the tile spans `tileSizePixels`
 * (the image size, or a multiple of it when overzoomed) and its corner is `offset` pixels up and
 * left of the image's. Plain data, so that it can be posted to a render worker.
 */
export interface ImagePlacement {
  readonly tileSizePixels: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

/** Where the units of one MVT layer land on the image: pixel = tile unit * `scale` - `offset`. */
export interface TilePlacement {
  readonly scale: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

/**
 * Points closer than this to the previous one (in pixels) are skipped: a z12 parcel tile has
 * 16 tile units per pixel, and drawing every one costs time without changing a pixel.
 */
const MIN_STEP_PIXELS = 0.25;

/** One feature of a decoded tile: what the expression engine reads, and its outline in pixels. */
export class RenderFeature {
  /** What filters and data-driven properties read (`type` 1 point, 2 line, 3 polygon). */
  readonly styleFeature: Feature;
  private readonly source: VectorTileFeature;
  private readonly placement: TilePlacement;
  private path: string | undefined;
  /** The last linePath made; a feature is stroked by a layer or two, at one reach each. */
  private lineCull: { readonly imageSize: number; readonly reach: number; readonly path: string } | undefined;
  private points: Float64Array | undefined;

  constructor(source: VectorTileFeature, placement: TilePlacement) {
    this.source = source;
    this.placement = placement;
    this.styleFeature = { type: source.type, id: source.id, properties: source.properties };
  }

  /** The geometry as SVG path data in pixels (closed rings for polygons), made once. */
  svgPath(): string {
    this.path ??= buildPath(this.source, this.placement, null);
    return this.path;
  }

  /**
   * The geometry to stroke: svgPath without the rings that cannot touch an image of `imageSize`
   * pixels when every point of them is drawn up to `reach` pixels away (half the line width, times
   * what joins and caps add, plus antialiasing). Empty when no ring shows.
   *
   * Why: a polygon is clipped at the tile's buffer, 4 px outside the image, so its ring runs along
   * that edge; a county that covers the whole tile is a square ring drawn entirely outside the
   * image, which Skia still strokes (and dashes) in full. Whole rings only are left out: Skia
   * starts each ring's dash pattern afresh, so the rings kept are drawn exactly as before, and the
   * image is the same pixel for pixel.
   */
  linePath(imageSize: number, reach: number): string {
    if (this.lineCull?.imageSize !== imageSize || this.lineCull.reach !== reach) {
      this.lineCull = { imageSize, reach, path: buildPath(this.source, this.placement, { imageSize, reach }) };
    }
    return this.lineCull.path;
  }

  /** Every vertex as [x0, y0, x1, y1, ...] in pixels (circle layers draw one circle each). */
  vertices(): Float64Array {
    if (!this.points) {
      const rings = this.source.loadGeometry();
      const { scale, offsetX, offsetY } = this.placement;
      const points = new Float64Array(rings.reduce((sum, ring) => sum + ring.length * 2, 0));
      let i = 0;
      for (const ring of rings) {
        for (const point of ring) {
          points[i++] = point.x * scale - offsetX;
          points[i++] = point.y * scale - offsetY;
        }
      }
      this.points = points;
    }
    return this.points;
  }
}

/** What linePath leaves out: rings that stay farther than `reach` pixels outside the image. */
interface LineCull {
  readonly imageSize: number;
  readonly reach: number;
}

function buildPath(feature: VectorTileFeature, placement: TilePlacement, cull: LineCull | null): string {
  const { scale, offsetX, offsetY } = placement;
  const rings = feature.loadGeometry();
  const isPolygon = feature.type === 3;
  let path = '';
  for (const ring of rings) {
    const count = ring.length;
    if (count === 0) continue;
    if (cull && isOutside(ring, isPolygon, placement, cull)) continue;
    let lastX = ring[0]!.x * scale - offsetX;
    let lastY = ring[0]!.y * scale - offsetY;
    path += `M${round(lastX)} ${round(lastY)}`;
    for (let i = 1; i < count; i++) {
      const x = ring[i]!.x * scale - offsetX;
      const y = ring[i]!.y * scale - offsetY;
      // Always keep a line's last point, so that lines meet where they should.
      if (i < count - 1 && Math.abs(x - lastX) < MIN_STEP_PIXELS && Math.abs(y - lastY) < MIN_STEP_PIXELS) continue;
      path += `L${round(x)} ${round(y)}`;
      lastX = x;
      lastY = y;
    }
    if (isPolygon) path += 'Z';
  }
  return path;
}

/**
 * True when every segment of the ring (with its closing one when closed) has both ends beyond the
 * same edge of the image, by more than `reach`: then nothing drawn within `reach` of the ring
 * touches the image. The ring is tested before points closer than MIN_STEP_PIXELS are dropped;
 * the path drawn stays within that of it, which the pixel of antialiasing in `reach` covers.
 */
function isOutside(ring: readonly { x: number; y: number }[], isClosed: boolean, { scale, offsetX, offsetY }: TilePlacement, { imageSize, reach }: LineCull): boolean {
  const low = -reach;
  const high = imageSize + reach;
  const count = ring.length;
  // A ring of one point is a segment from it to itself; an open line has no closing segment.
  const segments = isClosed || count === 1 ? count : count - 1;
  for (let i = 0; i < segments; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % count]!;
    const x1 = a.x * scale - offsetX;
    const y1 = a.y * scale - offsetY;
    const x2 = b.x * scale - offsetX;
    const y2 = b.y * scale - offsetY;
    const beyondAnEdge = (x1 < low && x2 < low) || (x1 > high && x2 > high) || (y1 < low && y2 < low) || (y1 > high && y2 > high);
    if (!beyondAnEdge) return false;
  }
  return true;
}

/** Hundredths of a pixel: finer than antialiasing can show. */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The decoded layers of one vector tile, by MVT layer name, placed on the image. */
export type TileFeatures = ReadonlyMap<string, readonly RenderFeature[]>;

export function decodeTile(data: Uint8Array, { tileSizePixels, offsetX, offsetY }: ImagePlacement): TileFeatures {
  const tile = new VectorTile(new PbfReader(data));
  const layers = new Map<string, RenderFeature[]>();
  for (const [name, layer] of Object.entries(tile.layers)) {
    const placement = { scale: tileSizePixels / layer.extent, offsetX, offsetY };
    const features: RenderFeature[] = new Array(layer.length);
    for (let i = 0; i < layer.length; i++) features[i] = new RenderFeature(layer.feature(i), placement);
    layers.set(name, features);
  }
  return layers;
}
