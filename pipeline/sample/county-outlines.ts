import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../core/project-root.js';

/** The eight county-level outlines of Liaocheng; provenance in data/reference/SOURCES.md. */
export const COUNTY_OUTLINES_FILE = join(projectRoot, 'data', 'reference', 'liaocheng_counties_topo_cgcs2000.geojson');

export interface CountyOutline {
  /** Six-digit administrative code (XZQDM), e.g. 371502. */
  readonly code: string;
  /** XZQMC, e.g. 东昌府区. */
  readonly name: string;
  /** GeoJSON geometry in EPSG:4490, as text for ST_GeomFromGeoJSON. */
  readonly geometryJson: string;
}

interface OutlineFeature {
  properties?: { adcode?: unknown; name?: unknown };
  geometry?: unknown;
}

export function readCountyOutlines(file = COUNTY_OUTLINES_FILE): CountyOutline[] {
  const collection = JSON.parse(readFileSync(file, 'utf8')) as { features?: OutlineFeature[] };
  return (collection.features ?? []).map((feature, i) => {
    const code = String(feature.properties?.adcode ?? '');
    const name = feature.properties?.name;
    if (!/^\d{6}$/.test(code) || typeof name !== 'string' || !feature.geometry) {
      throw new Error(`${file}: feature ${i} lacks a six-digit adcode, a name or a geometry`);
    }
    return { code, name, geometryJson: JSON.stringify(feature.geometry) };
  });
}
