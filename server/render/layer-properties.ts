import {
  Color,
  latest,
  normalizePropertyExpression,
  type Feature,
  type LayerSpecification,
  type StylePropertyExpression,
  type StylePropertySpecification,
} from '@maplibre/maplibre-gl-style-spec';

/**
 * The paint and layout properties the raster renderer draws, per layer type. A style using any
 * other (patterns, translate, offset, blur...) is refused at start-up, naming the layer and the
 * property, rather than drawn differently from what web clients show.
 */
export const SUPPORTED_PROPERTIES: Readonly<Record<'background' | 'fill' | 'line' | 'circle', { paint: readonly string[]; layout: readonly string[] }>> = {
  background: { paint: ['background-color', 'background-opacity'], layout: ['visibility'] },
  fill: { paint: ['fill-color', 'fill-opacity', 'fill-outline-color', 'fill-antialias'], layout: ['visibility'] },
  line: {
    paint: ['line-color', 'line-opacity', 'line-width', 'line-dasharray'],
    layout: ['visibility', 'line-cap', 'line-join', 'line-miter-limit'],
  },
  circle: {
    paint: ['circle-color', 'circle-radius', 'circle-opacity', 'circle-stroke-width', 'circle-stroke-color', 'circle-stroke-opacity'],
    layout: ['visibility'],
  },
};

/** Unsupported paint and layout properties of a layer, as messages naming them. */
export function unsupportedProperties(layer: LayerSpecification): string[] {
  const supported = SUPPORTED_PROPERTIES[layer.type as keyof typeof SUPPORTED_PROPERTIES];
  if (!supported) return [];
  const problems: string[] = [];
  for (const [kind, names] of [['paint', supported.paint], ['layout', supported.layout]] as const) {
    const values = (kind === 'paint' ? layer.paint : layer.layout) as Record<string, unknown> | undefined;
    for (const name of Object.keys(values ?? {})) {
      if (!names.includes(name)) problems.push(`layer "${layer.id}": ${kind} property "${name}" is not rendered (supported: ${names.join(', ')})`);
    }
  }
  return problems;
}

/** A property's value for one zoom, and when it depends on the feature, for each feature. */
export interface PropertyEvaluator<T> {
  /** True when the value depends on feature properties (data-driven). */
  readonly isFeatureDependent: boolean;
  /**
   * The value at `zoom` for `feature` (ignored unless feature dependent). A data-driven
   * expression that fails on a feature (a null property where a number is expected) gives the
   * property's default, as MapLibre does; it never throws.
   */
  evaluate(zoom: number, feature?: Feature): T;
}

/**
 * Compiles one paint or layout property of a layer with the style spec's own expression engine
 * (`normalizePropertyExpression`: constants, legacy functions and expressions alike), falling
 * back to the spec default when the layer does not set it.
 */
export function compileProperty<T>(layer: LayerSpecification, kind: 'paint' | 'layout', name: string): PropertyEvaluator<T> {
  const spec = propertySpec(layer.type, kind, name);
  const values = (kind === 'paint' ? layer.paint : layer.layout) as Record<string, unknown> | undefined;
  const value = values?.[name] ?? spec.default;
  const expression: StylePropertyExpression = normalizePropertyExpression(value as never, `layers.${layer.id}.${kind}.${name}`, spec);
  const isFeatureDependent = expression.kind === 'source' || expression.kind === 'composite';
  return {
    isFeatureDependent,
    evaluate: (zoom, feature) => expression.evaluate({ zoom }, feature) as T,
  };
}

/** True when the layer sets the property itself (rather than taking the default). */
export function hasProperty(layer: LayerSpecification, kind: 'paint' | 'layout', name: string): boolean {
  const values = (kind === 'paint' ? layer.paint : layer.layout) as Record<string, unknown> | undefined;
  return values?.[name] !== undefined;
}

function propertySpec(type: string, kind: 'paint' | 'layout', name: string): StylePropertySpecification {
  const group = (latest as unknown as Record<string, Record<string, StylePropertySpecification> | undefined>)[`${kind}_${type}`];
  const spec = group?.[name];
  if (!spec) throw new Error(`the style spec has no ${kind} property "${name}" for ${type} layers`);
  return spec;
}

/**
 * A style colour (premultiplied, 0..1) as an un-premultiplied CSS `rgba()` for Canvas2D, with
 * the layer's opacity folded into the alpha. Null when nothing would show.
 */
export function cssColor(color: Color, opacity: number): string | null {
  const alpha = color.a * opacity;
  if (!(alpha > 0)) return null;
  const r = Math.round((color.r / color.a) * 255);
  const g = Math.round((color.g / color.a) * 255);
  const b = Math.round((color.b / color.a) * 255);
  return alpha >= 1 ? `rgb(${r},${g},${b})` : `rgba(${r},${g},${b},${Math.round(alpha * 1000) / 1000})`;
}
