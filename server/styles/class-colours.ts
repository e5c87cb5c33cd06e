import type { ExpressionSpecification, StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import { loadSandiaoClasses, type LandUseClass } from '../../core/classification/sandiao-classes.js';

/**
 * The colour of parcels whose class has no plain fill colour in the sources
 * (data/reference/SOURCES.md): the level-1 codes, and 0603 盐田 whose symbol is a hatch of
 * markers on white. Also used for codes outside the classification and for parcels without a
 * DLBM. A light neutral grey: reads as "not classified" next to every class colour, none of
 * which is grey.
 */
export const FALLBACK_CLASS_COLOUR = '#d9d9d9';

/** The style layers marked `"metadata": {"planmap:fill-color": "sandiao-classes"}` get the class colours. */
export const CLASS_COLOUR_MARKER = 'sandiao-classes';

/**
 * A MapLibre `match` expression colouring a feature by its class code property (`DLBM`): codes
 * with one colour share one branch; everything else, null included, takes the fallback.
 */
export function classColourExpression(classes: Iterable<LandUseClass>, property = 'DLBM'): ExpressionSpecification {
  const codesByColour = new Map<string, string[]>();
  for (const landUseClass of classes) {
    if (!landUseClass.rgb) continue;
    const colour = `#${landUseClass.rgb.map((channel) => channel.toString(16).padStart(2, '0')).join('')}`;
    const codes = codesByColour.get(colour) ?? [];
    codes.push(landUseClass.code);
    codesByColour.set(colour, codes);
  }
  const branches = [...codesByColour].flatMap(([colour, codes]) => [codes, colour]);
  return ['match', ['get', property], ...branches, FALLBACK_CLASS_COLOUR] as unknown as ExpressionSpecification;
}

/**
 * The style with the class colours written into every marked fill layer (`scripts/build-styles.ts`
 * writes the result to the style files; a test checks they are up to date), so the colours
 * come from data/reference/sandiao_classes.csv and are never copied by hand.
 */
export function applyClassColours(style: StyleSpecification, classes = loadSandiaoClasses().values()): StyleSpecification {
  const expression = classColourExpression(classes);
  return {
    ...style,
    layers: style.layers.map((layer) => {
      const marker = (layer.metadata as Record<string, unknown> | undefined)?.['planmap:fill-color'];
      if (marker !== CLASS_COLOUR_MARKER) return layer;
      if (layer.type !== 'fill') throw new Error(`layer "${layer.id}": "planmap:fill-color" marks fill layers only`);
      return { ...layer, paint: { ...layer.paint, 'fill-color': expression } };
    }),
  };
}
