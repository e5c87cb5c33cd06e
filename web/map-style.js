// @ts-check
/**
 * The styles the viewer offers: the server's own (`/catalog` styles, 5a's style files) and,
 * when the server serves none, one built here from the catalog's tilesets so the data is
 * always visible: 三调 parcels filled with their class colours, everything else outlined.
 */

/**
 * @typedef {import('./feature-popup.js').LandUseClass} LandUseClass
 * @typedef {{ id: string, title?: string, description?: string, minzoom: number, maxzoom: number,
 *   bounds?: number[], fields?: Record<string, string>, tilejson: string }} CatalogTileset
 * @typedef {{ id: string, title: string, url?: string, style?: object, builtIn?: boolean }} StyleOption
 */

export const BUILT_IN_STYLE_ID = '__catalog__';

/** Fill of a class the standard gives no colour (and of codes outside the standard). */
const UNCLASSIFIED_FILL = '#c8c8c8';

/** Outline colours of tilesets without class codes, in catalog order. */
const OUTLINE_COLOURS = ['#e31a1c', '#1f78b4', '#6a3d9a', '#ff7f00', '#33a02c', '#b15928'];

/**
 * Style entries from the catalog (whatever the server lists), as options with absolute URLs.
 * @param {unknown} catalogStyles `/catalog`'s `styles`
 * @param {string} baseUrl the page's URL, to resolve relative style URLs
 * @returns {StyleOption[]}
 */
export function styleOptionsFromCatalog(catalogStyles, baseUrl) {
  if (!Array.isArray(catalogStyles)) return [];
  return catalogStyles.flatMap((entry) => {
    if (typeof entry === 'string') return [{ id: entry, title: entry, url: new URL(`styles/${encodeURIComponent(entry)}/style.json`, baseUrl).href }];
    if (!entry || typeof entry !== 'object' || typeof entry.id !== 'string') return [];
    const url = entry.url ?? entry.styleUrl ?? entry.style ?? `styles/${encodeURIComponent(entry.id)}/style.json`;
    return [{ id: entry.id, title: String(entry.title ?? entry.name ?? entry.id), url: new URL(String(url), baseUrl).href }];
  });
}

/**
 * A style for the catalog's tilesets when the server has no style files.
 * @param {readonly CatalogTileset[]} tilesets
 * @param {ReadonlyMap<string, LandUseClass>} classes
 * @returns {object} a MapLibre style (spec v8)
 */
export function buildCatalogStyle(tilesets, classes) {
  /** @type {Record<string, object>} */
  const sources = {};
  /** @type {object[]} */
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } }];
  const fills = [];
  const outlines = [];
  let outlineIndex = 0;
  for (const tileset of tilesets) {
    sources[tileset.id] = { type: 'vector', url: tileset.tilejson };
    const common = { source: tileset.id, 'source-layer': tileset.id, minzoom: tileset.minzoom };
    if (tileset.fields && 'DLBM' in tileset.fields) {
      fills.push({ id: `${tileset.id}-fill`, type: 'fill', ...common, paint: { 'fill-color': classColourExpression(classes), 'fill-opacity': 1 } });
      outlines.push({ id: `${tileset.id}-outline`, type: 'line', ...common, minzoom: Math.max(tileset.minzoom, 12), paint: { 'line-color': '#ffffff', 'line-width': 0.5, 'line-opacity': 0.8 } });
    } else {
      const colour = OUTLINE_COLOURS[outlineIndex++ % OUTLINE_COLOURS.length];
      // An invisible fill makes the inside clickable; the line is what shows.
      fills.push({ id: `${tileset.id}-fill`, type: 'fill', ...common, paint: { 'fill-color': colour, 'fill-opacity': 0.01 } });
      outlines.push({ id: `${tileset.id}-line`, type: 'line', ...common, paint: { 'line-color': colour, 'line-width': 1.5 } });
    }
  }
  return { version: 8, name: '数据目录样式 (built from the catalog)', sources, layers: [...layers, ...fills, ...outlines] };
}

/**
 * `match` on DLBM: each class with a colour; the rest grey.
 * @param {ReadonlyMap<string, LandUseClass>} classes
 */
function classColourExpression(classes) {
  const pairs = [...classes.values()].filter((c) => c.color !== null).flatMap((c) => [c.code, /** @type {string} */ (c.color)]);
  return pairs.length === 0 ? UNCLASSIFIED_FILL : ['match', ['to-string', ['get', 'DLBM']], ...pairs, UNCLASSIFIED_FILL];
}

/**
 * The toggles of a style: its layers grouped by the data they draw (source + source layer),
 * named by the catalog's title of that tileset. Background layers are not toggled.
 * @param {{ layers?: Array<{ id: string, type: string, source?: string, 'source-layer'?: string }> }} style
 * @param {readonly CatalogTileset[]} tilesets
 * @returns {Array<{ key: string, title: string, layerIds: string[] }>}
 */
export function layerGroups(style, tilesets) {
  const titles = new Map(tilesets.map((t) => [t.id, t.title ?? t.id]));
  /** @type {Map<string, { key: string, title: string, layerIds: string[] }>} */
  const groups = new Map();
  for (const layer of style.layers ?? []) {
    if (!layer.source || layer.type === 'background') continue;
    const dataName = layer['source-layer'] ?? layer.source;
    const key = `${layer.source}/${dataName}`;
    let group = groups.get(key);
    if (!group) {
      // A tileset the catalog does not list has no published data (or is not readable with this token).
      group = { key, title: titles.get(dataName) ?? `${dataName}（暂无数据 no data）`, layerIds: [] };
      groups.set(key, group);
    }
    group.layerIds.push(layer.id);
  }
  return [...groups.values()];
}
