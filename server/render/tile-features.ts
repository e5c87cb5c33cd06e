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
  private points: Float64Array | undefined;

  constructor(source: VectorTileFeature, placement: TilePlacement) {
    this.source = source;
    this.placement = placement;
    this.styleFeature = { type: source.type, id: source.id, properties: source.properties };
  }

  /** The geometry as SVG path data in pixels (closed rings for polygons), made once. */
  svgPath(): string {
    this.path ??= buildPath(this.source, this.placement);
    return this.path;
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

function buildPath(feature: VectorTileFeature, { scale, offsetX, offsetY }: TilePlacement): string {
  const rings = feature.loadGeometry();
  const isPolygon = feature.type === 3;
  let path = '';
  for (const ring of rings) {
    const count = ring.length;
    if (count === 0) continue;
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
