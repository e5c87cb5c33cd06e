import { featureFilter, type Feature, type LayerSpecification, type StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import { tilesetOfSource } from '../styles/style-sources.js';
import { compileProperty, hasProperty, SUPPORTED_PROPERTIES, type PropertyEvaluator } from './layer-properties.js';

export type RenderedLayerType = keyof typeof SUPPORTED_PROPERTIES;

/** One style layer, ready to draw: its data, zoom range, filter and property evaluators. */
export interface CompiledLayer {
  readonly id: string;
  readonly type: RenderedLayerType;
  /** Tileset the layer reads (null for background). Its tiles hold one MVT layer of that name. */
  readonly tilesetId: string | null;
  readonly minzoom: number;
  readonly maxzoom: number;
  /** Null when the layer has no filter. */
  readonly filter: ((zoom: number, feature: Feature) => boolean) | null;
  /** Every supported paint and layout property of the layer's type, by name. */
  readonly properties: ReadonlyMap<string, PropertyEvaluator<unknown>>;
  /** fill-outline-color set explicitly: MapLibre then strokes a one-pixel outline in it. */
  readonly hasOutlineColor: boolean;
}

/**
 * Compiles the layers of a (validated, renderable: see checkStyleForRendering) style in draw
 * order. Done once per style at start-up; rendering a tile only evaluates.
 */
export function compileStyle(style: StyleSpecification): CompiledLayer[] {
  return style.layers.map((layer) => compileLayer(style, layer));
}

function compileLayer(style: StyleSpecification, layer: LayerSpecification): CompiledLayer {
  const type = layer.type as RenderedLayerType;
  const supported = SUPPORTED_PROPERTIES[type];
  if (!supported) throw new Error(`layer "${layer.id}": type "${layer.type}" is not rendered`);
  const properties = new Map<string, PropertyEvaluator<unknown>>();
  for (const name of supported.paint) properties.set(name, compileProperty(layer, 'paint', name));
  for (const name of supported.layout) properties.set(name, compileProperty(layer, 'layout', name));
  const sourceId = 'source' in layer ? layer.source : undefined;
  const source = sourceId === undefined ? undefined : style.sources[sourceId];
  const tilesetId = source ? tilesetOfSource(source) : null;
  let filter: CompiledLayer['filter'] = null;
  if ('filter' in layer && layer.filter !== undefined) {
    const compiled = featureFilter(layer.filter, `layers.${layer.id}.filter`);
    filter = (zoom, feature) => compiled.filter({ zoom }, feature);
  }
  return {
    id: layer.id,
    type,
    tilesetId,
    minzoom: layer.minzoom ?? 0,
    maxzoom: layer.maxzoom ?? Number.POSITIVE_INFINITY,
    filter,
    properties,
    hasOutlineColor: type === 'fill' && hasProperty(layer, 'paint', 'fill-outline-color'),
  };
}
