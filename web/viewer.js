// @ts-check
/**
 * The map viewer (`GET /`): the server's tilesets and styles from `/catalog`, a style switcher,
 * layer toggles, feature attributes on click, scale bar and the cursor's CGCS2000 lon/lat.
 * Talks to this server only; MapLibre GL JS comes from the server's own copy.
 */
import { HttpError, authHeaders, fetchJson, getToken, isOwnUrl, isTokenRefused, refuseToken, setToken, tokenProblemMessage } from './auth.js';
import { renderFeaturePopup } from './feature-popup.js';
import { BUILT_IN_STYLE_ID, buildCatalogStyle, layerGroups, styleOptionsFromCatalog } from './map-style.js';

/** The server's own copy of MapLibre GL JS (its worker is found next to it). Typed from the npm package. */
const MAPLIBRE_URL = './vendor/maplibre-gl/maplibre-gl.mjs';
const maplibregl = /** @type {typeof import('maplibre-gl')} */ (await import(MAPLIBRE_URL));

/**
 * @typedef {import('./feature-popup.js').LandUseClass} LandUseClass
 * @typedef {import('./map-style.js').CatalogTileset} CatalogTileset
 * @typedef {import('./map-style.js').StyleOption} StyleOption
 */

const STYLE_STORAGE_KEY = 'planmap.style';
/** Liaocheng (聊城市), where the map opens when the catalog gives no bounds. */
const DEFAULT_CENTER = /** @type {[number, number]} */ ([115.98, 36.45]);

const elements = {
  styleSelect: /** @type {HTMLSelectElement} */ (document.getElementById('style-select')),
  layerList: /** @type {HTMLElement} */ (document.getElementById('layer-list')),
  tokenForm: /** @type {HTMLFormElement} */ (document.getElementById('token-form')),
  tokenInput: /** @type {HTMLInputElement} */ (document.getElementById('token-input')),
  tokenClear: /** @type {HTMLButtonElement} */ (document.getElementById('token-clear')),
  tokenState: /** @type {HTMLElement} */ (document.getElementById('token-state')),
  message: /** @type {HTMLElement} */ (document.getElementById('message')),
  coordinates: /** @type {HTMLElement} */ (document.getElementById('coordinates')),
  zoom: /** @type {HTMLElement} */ (document.getElementById('zoom')),
  zoomHint: /** @type {HTMLElement} */ (document.getElementById('zoom-hint')),
};

/** @type {{ tilesets: CatalogTileset[], styles: StyleOption[], classes: Map<string, LandUseClass> }} */
const state = { tilesets: [], styles: [], classes: new Map() };

const map = new maplibregl.Map({
  container: 'map',
  style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } }] },
  center: DEFAULT_CENTER,
  zoom: 8,
  hash: true,
  attributionControl: { compact: true, customAttribution: '聊城市国土空间规划一张图' },
  // The token goes to this server only: tiles, TileJSON and styles of other hosts get no header.
  transformRequest: (/** @type {string} */ url) => (isOwnUrl(url) && getToken() ? { url, headers: authHeaders(url) } : { url }),
});
map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-left');

// ---- messages ------------------------------------------------------------------------------

/**
 * @param {string} text
 * @param {'auth' | 'error' | 'info'} kind
 */
function showMessage(text, kind) {
  elements.message.textContent = text;
  elements.message.dataset.kind = kind;
  elements.message.hidden = false;
  if (kind === 'auth') elements.tokenInput.focus();
}

function clearMessage() {
  elements.message.hidden = true;
  elements.message.textContent = '';
  delete elements.message.dataset.kind;
}

/** MapLibre reports failed tile and style requests here; a token problem gets its own message once per load. */
map.on('error', (/** @type {{ error?: unknown }} */ event) => {
  const error = /** @type {{ status?: number, message?: string, url?: string }} */ (event.error ?? {});
  if (error.status === 401 && getToken()) {
    // The token expired while the map was open: say so, and keep showing what needs no token.
    const message = tokenProblemMessage(401);
    refuseToken();
    renderTokenState();
    start().then(() => showMessage(message, 'auth'));
  } else if (error.status === 401 || error.status === 403) {
    showMessage(tokenProblemMessage(error.status), 'auth');
  } else if (error.status && error.status >= 500) {
    showMessage(`服务器错误 (server error ${error.status})：部分图块未能加载，请稍后重试 (some tiles could not be loaded).`, 'error');
  } else if (!error.status && error.message) {
    console.warn('map error', error.message);
  }
});

// ---- loading catalog and styles ------------------------------------------------------------

async function loadClasses() {
  const body = await fetchJson('classes.json');
  state.classes = new Map(body.classes.map((/** @type {LandUseClass} */ c) => [c.code, c]));
}

/** The server's styles: `/catalog` lists them; `/styles` when the catalog has none. */
/** @param {unknown} catalogStyles */
async function loadStyles(catalogStyles) {
  const base = location.href;
  let options = styleOptionsFromCatalog(catalogStyles, base);
  if (options.length === 0) {
    try {
      const listed = await fetchJson('styles');
      options = styleOptionsFromCatalog(Array.isArray(listed) ? listed : listed.styles, base);
    } catch (error) {
      if (error instanceof HttpError && error.isAuthProblem) throw error;
      // No style route (404) or none served: the built-in style below.
    }
  }
  options.push({ id: BUILT_IN_STYLE_ID, title: '数据目录样式 (from the catalog)', builtIn: true });
  return options;
}

async function loadCatalog() {
  clearMessage();
  const catalog = await fetchJson('catalog');
  state.tilesets = catalog.tilesets;
  state.styles = await loadStyles(catalog.styles);
  renderStyleOptions();
  if (state.tilesets.length === 0) showMessage('服务器暂无已发布的图层 (the server has no published tilesets yet).', 'info');
}

function renderStyleOptions() {
  const wanted = new URLSearchParams(location.search).get('style') ?? sessionStorage.getItem(STYLE_STORAGE_KEY);
  elements.styleSelect.replaceChildren(
    ...state.styles.map((option) => {
      const element = document.createElement('option');
      element.value = option.id;
      element.textContent = option.title;
      return element;
    }),
  );
  const selected = state.styles.find((option) => option.id === wanted) ?? state.styles[0];
  if (selected) elements.styleSelect.value = selected.id;
}

/** @param {string} styleId */
async function applyStyle(styleId) {
  const option = state.styles.find((candidate) => candidate.id === styleId);
  if (!option) return;
  sessionStorage.setItem(STYLE_STORAGE_KEY, option.id);
  let style;
  if (option.builtIn) {
    style = buildCatalogStyle(state.tilesets, state.classes);
  } else {
    // Fetched here rather than by MapLibre, so a refused token shows as a message, not a blank map.
    style = await fetchJson(/** @type {string} */ (option.url));
  }
  map.once('styledata', renderLayerToggles);
  map.setStyle(/** @type {any} */ (style), { diff: false });
}

function renderLayerToggles() {
  const style = map.getStyle();
  const groups = layerGroups(/** @type {any} */ (style), state.tilesets);
  elements.layerList.replaceChildren(
    ...groups.map((group) => {
      const label = document.createElement('label');
      const checkbox = document.createElement('input');
      checkbox.type = 'checkbox';
      checkbox.checked = group.layerIds.some((id) => map.getLayoutProperty(id, 'visibility') !== 'none');
      checkbox.dataset.group = group.key;
      checkbox.addEventListener('change', () => {
        for (const id of group.layerIds) map.setLayoutProperty(id, 'visibility', checkbox.checked ? 'visible' : 'none');
      });
      label.append(checkbox, ` ${group.title}`);
      return label;
    }),
  );
  updateZoomHint();
}

/** First view: the data's bounds, unless the URL already says where (#zoom/lat/lon). */
function fitToData() {
  if (location.hash.length > 1) return;
  const bounds = /** @type {number[][]} */ (state.tilesets.map((t) => t.bounds).filter((b) => Array.isArray(b) && b.length === 4));
  if (bounds.length === 0) return;
  const west = Math.min(...bounds.map((b) => b[0] ?? 180));
  const south = Math.min(...bounds.map((b) => b[1] ?? 90));
  const east = Math.max(...bounds.map((b) => b[2] ?? -180));
  const north = Math.max(...bounds.map((b) => b[3] ?? -90));
  map.fitBounds([west, south, east, north], { padding: 20, animate: false });
}

async function start() {
  try {
    await loadCatalog();
    fitToData();
    await applyStyle(elements.styleSelect.value);
  } catch (error) {
    if (error instanceof HttpError && error.status === 401 && getToken()) {
      // A refused token must not leave a blank map: say so, and show what needs no token.
      const message = tokenProblemMessage(401, error.message);
      refuseToken();
      renderTokenState();
      await start();
      showMessage(message, 'auth');
      return;
    }
    reportLoadFailure(error);
  }
}

/** @param {unknown} error */
function reportLoadFailure(error) {
  if (error instanceof HttpError && error.isAuthProblem) showMessage(tokenProblemMessage(error.status, error.message), 'auth');
  else showMessage(`无法加载地图 (cannot load the map): ${error instanceof Error ? error.message : String(error)}`, 'error');
}

// ---- controls ------------------------------------------------------------------------------

elements.styleSelect.addEventListener('change', () => {
  applyStyle(elements.styleSelect.value).catch(reportLoadFailure);
});

function renderTokenState() {
  if (isTokenRefused()) elements.tokenState.textContent = '令牌被拒绝，仅显示公开数据 (token refused: showing public data only)';
  else elements.tokenState.textContent = getToken() ? '已设置令牌 (token set)' : '未设置令牌 (no token)';
}

elements.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  setToken(elements.tokenInput.value);
  elements.tokenInput.value = '';
  renderTokenState();
  start();
});

elements.tokenClear.addEventListener('click', () => {
  setToken('');
  renderTokenState();
  start();
});

map.on('mousemove', (event) => {
  const { lng, lat } = event.lngLat;
  // Web Mercator tiles here are projected from CGCS2000 as if it were WGS 84 (they differ by
  // centimetres), so MapLibre's lon/lat are CGCS2000 lon/lat.
  elements.coordinates.textContent = `CGCS2000 经度 ${lng.toFixed(6)}°E  纬度 ${lat.toFixed(6)}°N`;
});

function updateZoomHint() {
  const zoom = map.getZoom();
  elements.zoom.textContent = `级别 z${zoom.toFixed(1)}`;
  const hidden = state.tilesets.filter((t) => zoom < t.minzoom).map((t) => `${t.title ?? t.id}（≥ ${t.minzoom} 级）`);
  elements.zoomHint.textContent = hidden.length ? `放大后显示 (zoom in to see): ${hidden.join('、')}` : '';
}
map.on('zoomend', updateZoomHint);

/** @param {string | undefined} tilesetId */
function minzoomOf(tilesetId) {
  return state.tilesets.find((t) => t.id === tilesetId)?.minzoom ?? 0;
}

map.on('click', (event) => {
  const seen = new Set();
  const features = map
    .queryRenderedFeatures(event.point)
    .filter((feature) => {
      const key = `${feature.source}/${feature.sourceLayer}/${feature.id ?? JSON.stringify(feature.properties)}`;
      if (!feature.sourceLayer || seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    // The most detailed data first (a parcel before the county it lies in).
    .sort((a, b) => minzoomOf(b.sourceLayer) - minzoomOf(a.sourceLayer))
    .slice(0, 3)
    .map((feature) => ({
      layerTitle: state.tilesets.find((t) => t.id === feature.sourceLayer)?.title ?? feature.sourceLayer ?? '',
      properties: /** @type {Record<string, unknown>} */ (feature.properties),
    }));
  if (features.length === 0) return;
  new maplibregl.Popup({ maxWidth: '380px' }).setLngLat(event.lngLat).setDOMContent(renderFeaturePopup(features, state.classes)).addTo(map);
});

// For scripts and tests: the map and a promise of the first style being drawn.
const ready = (async () => {
  renderTokenState();
  await loadClasses().catch(reportLoadFailure);
  await start();
})();
Object.assign(window, { planmap: { map, ready } });
