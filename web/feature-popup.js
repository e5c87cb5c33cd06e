// @ts-check
import { AREA_FIELDS, CLASS_CODE_FIELDS, CODE_LISTS, FIELD_LABELS } from './field-labels.js';

/**
 * @typedef {{ code: string, name: string, level1Code: string, level1Name: string, color: string | null }} LandUseClass
 * @typedef {{ layerTitle: string, properties: Record<string, unknown> }} PopupFeature
 */

const SQUARE_METRES_PER_MU = 10000 / 15;

/**
 * The popup's content: one table per feature (field label, code, value), values as text
 * nodes (feature attributes are data, never markup).
 * @param {readonly PopupFeature[]} features
 * @param {ReadonlyMap<string, LandUseClass>} classes
 * @returns {HTMLElement}
 */
export function renderFeaturePopup(features, classes) {
  const root = document.createElement('div');
  root.className = 'feature-popup';
  for (const feature of features) {
    const heading = document.createElement('h3');
    heading.textContent = feature.layerTitle;
    const table = document.createElement('table');
    for (const [field, value] of Object.entries(feature.properties)) {
      const row = table.insertRow();
      row.dataset.field = field;
      const label = row.insertCell();
      label.className = 'field-label';
      label.textContent = FIELD_LABELS[field] ?? field;
      if (FIELD_LABELS[field]) {
        const code = document.createElement('span');
        code.className = 'field-code';
        code.textContent = field;
        label.append(' ', code);
      }
      const cell = row.insertCell();
      cell.className = 'field-value';
      cell.textContent = formatValue(field, value, classes);
    }
    root.append(heading, table);
  }
  return root;
}

/**
 * @param {string} field
 * @param {unknown} value
 * @param {ReadonlyMap<string, LandUseClass>} classes
 * @returns {string}
 */
export function formatValue(field, value, classes) {
  if (value === null || value === undefined || value === '') return '—';
  const text = String(value);
  if (CLASS_CODE_FIELDS.has(field)) {
    const landUseClass = classes.get(text);
    return landUseClass ? `${text} ${landUseClass.name}（${landUseClass.level1Name}）` : `${text}（未知地类 unknown class）`;
  }
  const codeList = CODE_LISTS[field];
  if (codeList && codeList[text]) return `${text} ${codeList[text]}`;
  if (AREA_FIELDS.has(field) && typeof value === 'number') {
    const mu = value / SQUARE_METRES_PER_MU;
    return `${value.toLocaleString('zh-CN', { maximumFractionDigits: 2 })} 平方米 (m²) ≈ ${mu.toLocaleString('zh-CN', { maximumFractionDigits: 2 })} 亩`;
  }
  return text;
}
