import './skia-memory.js';
import type { Color } from '@maplibre/maplibre-gl-style-spec';
import { Path2D, type SKRSContext2D } from '@napi-rs/canvas';
import type { CompiledLayer } from './compiled-style.js';
import { cssColor, type PropertyEvaluator } from './layer-properties.js';
import type { RenderFeature } from './tile-features.js';

/**
 * Draws style layers on a Canvas2D (Skia through @napi-rs/canvas: antialiased fills, strokes,
 * dashes). Features of a layer that look the same are drawn as one path: one native call per
 * colour instead of per parcel, which is most of the draw time saved (bench/README.md). Within a
 * layer, same-looking features that overlap therefore merge instead of blending twice, which
 * only shows for translucent overlapping features of one layer.
 */
export interface PaintContext {
  readonly ctx: SKRSContext2D;
  /** Side of the image in pixels. */
  readonly size: number;
  /** Style zoom: the MapLibre zoom at which this image shows the map at its scale. */
  readonly zoom: number;
  /** 1 for 256 px tiles, 2 for @2x: widths, radii and dashes are in CSS pixels. */
  readonly pixelRatio: number;
}

export function paintLayer(paint: PaintContext, layer: CompiledLayer, features: readonly RenderFeature[]): void {
  switch (layer.type) {
    case 'background':
      return paintBackground(paint, layer);
    case 'fill':
      return paintFills(paint, layer, features);
    case 'line':
      return paintLines(paint, layer, features);
    case 'circle':
      return paintCircles(paint, layer, features);
  }
}

function paintBackground({ ctx, size, zoom }: PaintContext, layer: CompiledLayer): void {
  const color = cssColor(value<Color>(layer, 'background-color', zoom), value<number>(layer, 'background-opacity', zoom));
  if (!color) return;
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, size, size);
}

interface Batch {
  readonly draw: (path: Path2D) => void;
  readonly paths: string[];
}

/** Groups features by the key of how they look, keeping the first appearance's order. */
class Batches {
  private readonly batches = new Map<string, Batch>();

  add(key: string, path: string, draw: () => (path: Path2D) => void): void {
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { draw: draw(), paths: [] };
      this.batches.set(key, batch);
    }
    batch.paths.push(path);
  }

  drawAll(): void {
    for (const batch of this.batches.values()) batch.draw(new Path2D(batch.paths.join('')));
  }
}

function paintFills(paint: PaintContext, layer: CompiledLayer, features: readonly RenderFeature[]): void {
  const { ctx, zoom, pixelRatio } = paint;
  const colorOf = layer.properties.get('fill-color') as PropertyEvaluator<Color>;
  const opacityOf = layer.properties.get('fill-opacity') as PropertyEvaluator<number>;
  const outlineOf = layer.properties.get('fill-outline-color') as PropertyEvaluator<Color>;
  const antialias = value<boolean>(layer, 'fill-antialias', zoom);
  const fillOf = cssColorOf(colorOf, opacityOf, zoom);
  const batches = new Batches();
  for (const feature of features) {
    if (feature.styleFeature.type !== 3) continue;
    const opacity = opacityOf.evaluate(zoom, feature.styleFeature);
    const fill = fillOf(feature);
    const outline = layer.hasOutlineColor && antialias ? cssColor(outlineOf.evaluate(zoom, feature.styleFeature), opacity) : null;
    if (!fill && !outline) continue;
    batches.add(`${fill}|${outline}`, feature.svgPath(), () => (path) => {
      if (fill) {
        ctx.fillStyle = fill;
        ctx.fill(path, 'nonzero');
      }
      if (outline) {
        ctx.strokeStyle = outline;
        ctx.lineWidth = pixelRatio;
        ctx.setLineDash([]);
        ctx.stroke(path);
      }
    });
  }
  batches.drawAll();
}

/**
 * The CSS colour of a feature. Expressions hand out the same Color objects for the same branch
 * (a `match` over class codes returns one of its literals), so with a constant opacity the CSS
 * string is made once per colour rather than once per feature.
 */
function cssColorOf(colorOf: PropertyEvaluator<Color>, opacityOf: PropertyEvaluator<number>, zoom: number): (feature: RenderFeature) => string | null {
  if (opacityOf.isFeatureDependent) {
    return (feature) => cssColor(colorOf.evaluate(zoom, feature.styleFeature), opacityOf.evaluate(zoom, feature.styleFeature));
  }
  const opacity = opacityOf.evaluate(zoom);
  const known = new Map<Color, string | null>();
  return (feature) => {
    const color = colorOf.evaluate(zoom, feature.styleFeature);
    let css = known.get(color);
    if (css === undefined) {
      css = cssColor(color, opacity);
      known.set(color, css);
    }
    return css;
  };
}

function paintLines(paint: PaintContext, layer: CompiledLayer, features: readonly RenderFeature[]): void {
  const { ctx, zoom, pixelRatio } = paint;
  const colorOf = layer.properties.get('line-color') as PropertyEvaluator<Color>;
  const opacityOf = layer.properties.get('line-opacity') as PropertyEvaluator<number>;
  const widthOf = layer.properties.get('line-width') as PropertyEvaluator<number>;
  const dashOf = layer.properties.get('line-dasharray') as PropertyEvaluator<number[] | undefined>;
  const capOf = layer.properties.get('line-cap') as PropertyEvaluator<'butt' | 'round' | 'square'>;
  const joinOf = layer.properties.get('line-join') as PropertyEvaluator<string>;
  const miterLimit = value<number>(layer, 'line-miter-limit', zoom);
  const strokeOf = cssColorOf(colorOf, opacityOf, zoom);
  const batches = new Batches();
  for (const feature of features) {
    // Polygons are drawn as their rings, as MapLibre does.
    if (feature.styleFeature.type !== 2 && feature.styleFeature.type !== 3) continue;
    const color = strokeOf(feature);
    const width = widthOf.evaluate(zoom, feature.styleFeature) * pixelRatio;
    if (!color || !(width > 0)) continue;
    const dash = dashOf.evaluate(zoom, feature.styleFeature);
    // Dash lengths are in line widths (style spec); an all-zero array would draw nothing at all.
    const dashPixels = dash && dash.length > 0 && dash.some((length) => length > 0) ? dash.map((length) => length * width) : [];
    const cap = capOf.evaluate(zoom, feature.styleFeature);
    // "fakeround" and "flipbevel" are MapLibre's GPU approximations of round and bevel.
    const join = canvasJoin(joinOf.evaluate(zoom, feature.styleFeature));
    const geometry = feature.linePath(paint.size, strokeReach(width, join, cap, miterLimit));
    if (geometry === '') continue;
    batches.add(`${color}|${width}|${dashPixels.join(',')}|${cap}|${join}`, geometry, () => (path) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.lineCap = cap;
      ctx.lineJoin = join;
      ctx.miterLimit = miterLimit;
      ctx.setLineDash(dashPixels);
      ctx.stroke(path);
    });
  }
  batches.drawAll();
}

/**
 * How far from its geometry a stroke can colour a pixel: half the width, as far again as a miter
 * may reach (the miter limit is in half widths) or a square cap's corner, and a pixel of
 * antialiasing. Rings that stay farther out than this are not drawn (RenderFeature.linePath).
 */
function strokeReach(width: number, join: 'round' | 'bevel' | 'miter', cap: 'butt' | 'round' | 'square', miterLimit: number): number {
  const halfWidth = width / 2;
  const joinReach = join === 'miter' ? halfWidth * Math.max(1, miterLimit) : halfWidth;
  const capReach = cap === 'square' ? halfWidth * Math.SQRT2 : halfWidth;
  return Math.max(joinReach, capReach) + ANTIALIAS_PIXELS;
}

/** Antialiasing colours at most this far beyond a shape's edge (Skia: under one pixel). */
const ANTIALIAS_PIXELS = 1;

function canvasJoin(join: string): 'round' | 'bevel' | 'miter' {
  if (join === 'round' || join === 'fakeround') return 'round';
  if (join === 'bevel' || join === 'flipbevel') return 'bevel';
  return 'miter';
}

/** Circles at each point (and, as MapLibre does, at each vertex of lines and polygons). */
function paintCircles(paint: PaintContext, layer: CompiledLayer, features: readonly RenderFeature[]): void {
  const { ctx, zoom, pixelRatio } = paint;
  const p = (name: string) => layer.properties.get(name)!;
  for (const feature of features) {
    const f = feature.styleFeature;
    const opacity = p('circle-opacity').evaluate(zoom, f) as number;
    const fill = cssColor(p('circle-color').evaluate(zoom, f) as Color, opacity);
    const radius = (p('circle-radius').evaluate(zoom, f) as number) * pixelRatio;
    const strokeWidth = (p('circle-stroke-width').evaluate(zoom, f) as number) * pixelRatio;
    const stroke = strokeWidth > 0 ? cssColor(p('circle-stroke-color').evaluate(zoom, f) as Color, p('circle-stroke-opacity').evaluate(zoom, f) as number) : null;
    if (!(radius > 0) || (!fill && !stroke)) continue;
    const points = feature.vertices();
    if (fill) {
      ctx.fillStyle = fill;
      ctx.fill(circlesPath(points, radius));
    }
    // MapLibre draws the stroke outside the radius, not centred on it.
    if (stroke) {
      ctx.strokeStyle = stroke;
      ctx.lineWidth = strokeWidth;
      ctx.setLineDash([]);
      ctx.stroke(circlesPath(points, radius + strokeWidth / 2));
    }
  }
}

function circlesPath(points: Float64Array, radius: number): Path2D {
  const path = new Path2D();
  for (let i = 0; i < points.length; i += 2) {
    path.moveTo(points[i]! + radius, points[i + 1]!);
    path.arc(points[i]!, points[i + 1]!, radius, 0, 2 * Math.PI);
  }
  return path;
}

/** A property that cannot depend on features (zoom only). */
function value<T>(layer: CompiledLayer, name: string, zoom: number): T {
  return layer.properties.get(name)!.evaluate(zoom) as T;
}
