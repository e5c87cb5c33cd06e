// @ts-check
/**
 * The statistics page: the precomputed 三区三线 and land-use statistics of the admin API
 * (server/analysis: /admin/statistics/..., /admin/datasets/{id}/changes) as tables, with CSV
 * downloads (UTF-8 with BOM, Chinese headers, as the server writes them). Needs an admin token.
 */
import { authorizedFetch, fetchJson, getToken, HttpError, setToken, tokenProblemMessage } from './auth.js';

/** Relative to the page, so that the server may sit behind a path prefix. */
const API = 'admin';

/** @param {string} id */
const element = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const countySelect = /** @type {HTMLSelectElement} */ (element('county-select'));
const groupSelect = /** @type {HTMLSelectElement} */ (element('group-select'));
const banner = element('banner');

const CONFLICT_TYPE_HINT = '冲突类型 (conflict type)';

/**
 * @typedef {{ title: string, key: string, kind?: 'area' | 'count' | 'small-area' | 'text' }} Column
 */

/** An area in the three units a planning office reports (m², hectares, mu). @type {Column[]} */
const AREA_COLUMNS = [
  { title: '面积（平方米）', key: 'areaM2', kind: 'area' },
  { title: '面积（公顷）', key: 'areaHa', kind: 'area' },
  { title: '面积（亩）', key: 'areaMu', kind: 'area' },
];

/** @type {Record<string, Column[]>} */
const COLUMNS = {
  landuse: [
    { title: '县级行政区', key: 'county' },
    { title: '地类编码', key: 'classCode' },
    { title: '地类名称', key: 'className' },
    { title: '图斑数', key: 'parcels', kind: 'count' },
    ...AREA_COLUMNS,
  ],
  landuseLevel1: [
    { title: '县级行政区', key: 'county' },
    { title: '一级类编码', key: 'level1Code' },
    { title: '一级类名称', key: 'level1Name' },
    { title: '图斑数', key: 'parcels', kind: 'count' },
    ...AREA_COLUMNS,
  ],
  controlLines: [
    { title: '县级行政区', key: 'county' },
    { title: '控制线', key: 'roleName' },
    { title: '图斑数', key: 'features', kind: 'count' },
    ...AREA_COLUMNS,
  ],
  conflicts: [
    { title: '县级行政区', key: 'county' },
    { title: CONFLICT_TYPE_HINT, key: 'typeName' },
    { title: '图斑数', key: 'features', kind: 'count' },
    ...AREA_COLUMNS,
    { title: '其中碎片数', key: 'slivers', kind: 'count' },
    { title: '碎片面积（平方米）', key: 'sliverAreaM2', kind: 'small-area' },
  ],
  slivers: [
    { title: '县级行政区', key: 'county' },
    { title: CONFLICT_TYPE_HINT, key: 'typeName' },
    { title: '数据集甲', key: 'aDataset' },
    { title: '标识码甲', key: 'aKey' },
    { title: '数据集乙', key: 'bDataset' },
    { title: '标识码乙', key: 'bKey' },
    { title: '面积（平方米）', key: 'areaM2', kind: 'small-area' },
  ],
  changes: [
    { title: '变化类型', key: 'typeName' },
    { title: '图斑数', key: 'parcels', kind: 'count' },
    ...AREA_COLUMNS,
    { title: '面积增减（平方米）', key: 'areaChangeM2', kind: 'area' },
  ],
};

/**
 * @param {unknown} value
 * @param {Column['kind']} kind
 */
function formatCell(value, kind) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (kind === 'count') return value.toLocaleString('zh-CN');
    const digits = kind === 'small-area' ? 4 : 2;
    return value.toLocaleString('zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  return String(value);
}

/**
 * Renders rows as a table (text only: never HTML from the server).
 * @param {string} containerId
 * @param {Column[]} columns
 * @param {Record<string, unknown>[]} rows
 */
function renderTable(containerId, columns, rows) {
  const container = element(containerId);
  container.replaceChildren();
  if (rows.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'hint';
    empty.textContent = '无数据 (no rows)';
    container.append(empty);
    return;
  }
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const column of columns) {
    const th = document.createElement('th');
    th.textContent = column.title;
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const column of columns) {
      const td = tr.insertCell();
      const value = column.key === 'county' ? countyLabel(row) : row[column.key];
      td.textContent = formatCell(value, column.kind);
      if (column.kind && column.kind !== 'text') td.style.textAlign = 'right';
    }
  }
  container.append(table);
}

/** @param {Record<string, unknown>} row */
function countyLabel(row) {
  if (row.countyCode === null) return '行政区外 (outside every county)';
  return [row.countyName, row.countyCode].filter(Boolean).join(' ');
}

/** @param {string} text @param {'info' | 'error' | 'auth'} kind */
function showBanner(text, kind) {
  banner.textContent = text;
  banner.dataset.kind = kind;
  banner.hidden = false;
}

/** @param {unknown} error */
function showError(error) {
  if (error instanceof HttpError && error.isAuthProblem) showBanner(tokenProblemMessage(error.status, error.message), 'auth');
  else showBanner(error instanceof Error ? error.message : String(error), 'error');
}

/** The query of a statistics request: the chosen county, and `extra`. */
function query(extra = {}) {
  const params = new URLSearchParams();
  if (countySelect.value) params.set('county', countySelect.value);
  for (const [key, value] of Object.entries(extra)) if (value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function changesUrl(format = 'json') {
  const dataset = /** @type {HTMLInputElement} */ (element('changes-dataset')).value.trim();
  const params = new URLSearchParams();
  const from = /** @type {HTMLInputElement} */ (element('changes-from')).value;
  const to = /** @type {HTMLInputElement} */ (element('changes-to')).value;
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  if (format !== 'json') params.set('format', format);
  const text = params.toString();
  return `${API}/datasets/${encodeURIComponent(dataset)}/changes${text ? `?${text}` : ''}`;
}

/** URL of each table, in a format. @type {Record<string, (format: string) => string>} */
const URLS = {
  landuse: (format) => `${API}/statistics/landuse${query({ group: groupSelect.value, format: format === 'json' ? '' : format })}`,
  'control-lines': (format) => `${API}/statistics/control-lines${query({ format: format === 'json' ? '' : format })}`,
  conflicts: (format) => `${API}/statistics/conflicts${query({ format: format === 'json' ? '' : format })}`,
  slivers: (format) => `${API}/statistics/slivers${query({ limit: 100, format: format === 'json' ? '' : format })}`,
  changes: changesUrl,
};

async function loadRun() {
  const run = await fetchJson(`${API}/statistics`);
  const sources = Object.entries(run.sources).map(([id, version]) => `${id} v${version}`).join('，');
  const stale = run.stale ? ' — 数据已更新，统计正在重新计算 (newer data published: recomputing)' : '';
  const method = run.areaMethod === 'ellipsoid' ? 'CGCS2000 椭球面积' : '高斯-克吕格投影平面面积';
  element('run-info').textContent = `计算于 ${new Date(run.computedAt).toLocaleString('zh-CN')}，数据版本：${sources}；面积：${method}${stale}`;
  const selected = countySelect.value;
  countySelect.replaceChildren(new Option('全市 (all counties)', ''), ...run.counties.map((/** @type {string} */ code) => new Option(code, code)));
  countySelect.value = run.counties.includes(selected) ? selected : '';
}

async function loadTables() {
  const [landuse, lines, conflicts, slivers] = await Promise.all([
    fetchJson(URLS.landuse('json')),
    fetchJson(URLS['control-lines']('json')),
    fetchJson(URLS.conflicts('json')),
    fetchJson(URLS.slivers('json')),
  ]);
  renderTable('landuse-table', groupSelect.value === 'class' ? COLUMNS.landuse : COLUMNS.landuseLevel1, landuse.rows);
  renderTable('control-lines-table', COLUMNS.controlLines, lines.rows);
  renderTable('conflicts-table', COLUMNS.conflicts, conflicts.rows);
  renderTable('slivers-table', COLUMNS.slivers, slivers.rows);
  element('sliver-note').textContent = `碎片：面积小于 ${conflicts.sliverAreaM2} 平方米的冲突图斑 (slivers: pieces under ${conflicts.sliverAreaM2} m²)`;
  // County names arrive with the rows: label the county choices with them.
  for (const row of [...landuse.rows, ...lines.rows, ...conflicts.rows]) {
    const option = [...countySelect.options].find((candidate) => candidate.value === row.countyCode);
    if (option && row.countyName) option.textContent = `${row.countyName} ${row.countyCode}`;
  }
}

async function loadChanges() {
  const info = element('changes-info');
  try {
    const changes = await fetchJson(URLS.changes('json'));
    info.textContent = `${changes.dataset}：版本 ${changes.from} → ${changes.to}，按 ${changes.keyField} 匹配，图形容差 ${changes.toleranceM} 米` +
      (changes.layer ? `；变化图层 ${changes.layer.dataset} v${changes.layer.version}` : '');
    renderTable('changes-table', COLUMNS.changes, changes.rows);
  } catch (error) {
    if (error instanceof HttpError && !error.isAuthProblem) {
      info.textContent = error.message;
      element('changes-table').replaceChildren();
    } else {
      throw error;
    }
  }
}

/** Downloads a table as CSV, with the token (a plain link could not send it). */
async function downloadCsv(/** @type {string} */ table) {
  const url = URLS[table]?.('csv');
  if (!url) return;
  const response = await authorizedFetch(url);
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `${table}.csv`;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function refresh() {
  banner.hidden = true;
  try {
    if (!getToken()) {
      showBanner(tokenProblemMessage(401), 'auth');
      return;
    }
    await loadRun();
    await loadTables();
    await loadChanges();
  } catch (error) {
    showError(error);
  }
}

element('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  setToken(/** @type {HTMLInputElement} */ (element('token-input')).value);
  /** @type {HTMLInputElement} */ (element('token-input')).value = '';
  void refresh();
});
element('token-clear').addEventListener('click', () => {
  setToken('');
  void refresh();
});
countySelect.addEventListener('change', () => void loadTables().catch(showError));
groupSelect.addEventListener('change', () => void loadTables().catch(showError));
element('changes-load').addEventListener('click', () => void loadChanges().catch(showError));
for (const button of document.querySelectorAll('button[data-csv]')) {
  button.addEventListener('click', () => void downloadCsv(/** @type {HTMLElement} */ (button).dataset.csv ?? '').catch(showError));
}

void refresh();
