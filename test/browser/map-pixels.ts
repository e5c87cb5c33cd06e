import { Color, createExpression, type StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import sharp from 'sharp';

/**
 * What the style says a parcel of a class looks like on screen: its fill colour blended with
 * what lies under it (the background layer), by its fill opacity. Evaluated with MapLibre's own
 * expression engine, so the test reads the same style the viewer draws, whatever its shape.
 */
export interface ClassColour {
  readonly code: string;
  readonly rgb: readonly [number, number, number];
}

type Rgb = [number, number, number];

export function classColoursOf(style: StyleSpecification, sourceLayer: string, codes: readonly string[], zoom: number, codeField = 'DLBM'): ClassColour[] {
  const background = backgroundOf(style);
  const fills = style.layers.filter(
    (layer) => layer.type === 'fill' && 'source-layer' in layer && layer['source-layer'] === sourceLayer && layer.layout?.visibility !== 'none',
  );
  if (fills.length === 0) throw new Error(`the style "${style.name ?? ''}" has no visible fill layer of source layer "${sourceLayer}"`);
  return codes.map((code) => {
    let colour: Rgb = background;
    for (const layer of fills) {
      if (layer.type !== 'fill') continue;
      const feature = { type: 'Polygon' as const, properties: { [codeField]: code } };
      if (layer.filter && !evaluate(layer.filter, zoom, feature, 'boolean')) continue;
      const fill = toColour(evaluate(layer.paint?.['fill-color'] ?? '#000000', zoom, feature, 'color'));
      const opacity = (evaluate(layer.paint?.['fill-opacity'] ?? 1, zoom, feature, 'number') as number) * fill.a;
      // Style-spec colours are premultiplied by their alpha.
      const straight: Rgb = fill.a > 0 ? [fill.r / fill.a, fill.g / fill.a, fill.b / fill.a] : [0, 0, 0];
      colour = colour.map((under, i) => Math.round(under * (1 - opacity) + straight[i]! * 255 * opacity)) as Rgb;
    }
    return { code, rgb: colour };
  });
}

function backgroundOf(style: StyleSpecification): Rgb {
  const layer = style.layers.find((candidate) => candidate.type === 'background');
  if (!layer || layer.type !== 'background') return [255, 255, 255];
  const colour = toColour(evaluate(layer.paint?.['background-color'] ?? '#000000', 10, { type: 'Point', properties: {} }, 'color'));
  return [Math.round(colour.r * 255), Math.round(colour.g * 255), Math.round(colour.b * 255)];
}

/** A colour as the expression engine gives it (a Color, or a CSS string for literal branches); premultiplied. */
function toColour(value: unknown): { r: number; g: number; b: number; a: number } {
  if (value instanceof Color) return value;
  const parsed = typeof value === 'string' ? Color.parse(value) : undefined;
  if (!parsed) throw new Error(`not a colour: ${JSON.stringify(value)}`);
  return parsed;
}

function evaluate(value: unknown, zoom: number, feature: { type: 'Polygon' | 'Point'; properties: Record<string, unknown> }, type: 'color' | 'number' | 'boolean'): unknown {
  const parsed = createExpression(value, { type, 'property-type': 'data-driven', expression: { interpolated: true, parameters: ['zoom', 'feature'] }, transition: false } as never);
  if (parsed.result !== 'success') throw new Error(`cannot read the style expression ${JSON.stringify(value)}: ${parsed.value.map((e) => e.message).join('; ')}`);
  return parsed.value.evaluate({ zoom }, feature as never);
}

/** How many pixels of a PNG are each colour (within `tolerance` per channel). */
export async function countColours(png: Buffer, colours: readonly ClassColour[], tolerance = 4): Promise<Map<string, number>> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const counts = new Map(colours.map((colour) => [colour.code, 0]));
  for (let offset = 0; offset < data.length; offset += info.channels) {
    const r = data[offset]!;
    const g = data[offset + 1]!;
    const b = data[offset + 2]!;
    for (const colour of colours) {
      if (Math.abs(r - colour.rgb[0]) <= tolerance && Math.abs(g - colour.rgb[1]) <= tolerance && Math.abs(b - colour.rgb[2]) <= tolerance) {
        counts.set(colour.code, counts.get(colour.code)! + 1);
        break;
      }
    }
  }
  return counts;
}
