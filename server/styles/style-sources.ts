import type { LayerSpecification, SourceSpecification, StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import { unsupportedProperties } from '../render/layer-properties.js';

/**
 * How a style file names this server's tilesets: a vector source `{"type": "vector",
 * "url": "planmap://landuse"}`. The style file stays independent of where the server runs;
 * `GET /styles/{style}/style.json` rewrites each such source to absolute tile URLs.
 */
export const TILESET_URL_SCHEME = 'planmap://';

const TILESET_ID_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Layer types the raster renderer draws. Others (symbol, raster, hillshade...) are refused at start-up. */
export const RENDERED_LAYER_TYPES: ReadonlySet<LayerSpecification['type']> = new Set(['background', 'fill', 'line', 'circle']);

/** The tileset id of a `planmap://{tileset}` vector source, or null for any other source. */
export function tilesetOfSource(source: SourceSpecification): string | null {
  if (source.type !== 'vector' || typeof source.url !== 'string' || !source.url.startsWith(TILESET_URL_SCHEME)) return null;
  return source.url.slice(TILESET_URL_SCHEME.length);
}

/**
 * What in a (spec-valid) style this server cannot render or serve, one message per problem:
 * sources other than this server's tilesets (no tile is ever fetched from elsewhere), layer
 * types and properties the renderer does not draw, glyphs and sprites (no text or icons: nothing is loaded
 * from a CDN).
 */
export function checkStyleForRendering(style: StyleSpecification): string[] {
  const problems: string[] = [];
  for (const [id, source] of Object.entries(style.sources)) {
    const tileset = tilesetOfSource(source);
    if (tileset === null) {
      problems.push(`source "${id}": only vector sources with "url": "${TILESET_URL_SCHEME}{tileset}" are served`);
    } else if (!TILESET_ID_PATTERN.test(tileset)) {
      problems.push(`source "${id}": "${tileset}" is not a tileset id (lower case [a-z0-9_])`);
    }
  }
  for (const layer of style.layers) {
    if (!RENDERED_LAYER_TYPES.has(layer.type)) {
      problems.push(`layer "${layer.id}": type "${layer.type}" is not rendered (supported: ${[...RENDERED_LAYER_TYPES].join(', ')})`);
    } else {
      problems.push(...unsupportedProperties(layer));
    }
  }
  if (style.glyphs !== undefined) problems.push('"glyphs": styles carry no text layers, so no glyphs are served');
  if (style.sprite !== undefined) problems.push('"sprite": styles carry no icons or patterns, so no sprite is served');
  return problems;
}
