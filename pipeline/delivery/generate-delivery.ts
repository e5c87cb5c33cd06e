import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeIdentifier } from 'pg';
import QueryStream from 'pg-query-stream';
import type { Pool, PoolClient } from '../../core/db/pool.js';
import type { AttributeValue } from '../readers/feature-source.js';
import { DELIVERY_LAYERS, type DeliveryLayer } from './delivery-layers.js';
import type { DeliveryOptions } from './delivery-options.js';
import { createDeliveryCounties } from './delivery-zones.js';
import { createLandUseTable } from './landuse-table.js';
import { openLayerOutputs, type LayerOutputSpec } from './layer-outputs.js';
import { createMillimetreFunctions } from './millimetre-grid.js';
import { createPlanningTables } from './planning-tables.js';
import { createSampleParcels } from './sample-parcels.js';

/**
 * A sample delivery as the eight Liaocheng counties hand theirs over: per county a folder
 * `<XZQDM>/` with DLTB (三调 parcels) and the planning layers STBHHX, YJJBNT, CZKFBJ and GHFQ,
 * each in the county's own Gauss-Kruger zone with the zone prefix (EPSG:4526 for 冠县 and 莘县,
 * which reach west of 115.5°E; EPSG:4527 for the others: delivery-zones.ts), coordinates to the
 * millimetre.
 *
 * Everything is made in PostGIS in session temp tables (sample-parcels.ts, planning-tables.ts)
 * and streamed out county by county with a cursor, so memory stays flat whatever the size;
 * nothing is written to the database (the transaction is rolled back).
 *
 * Shapefiles are GBK with .prj (PostGIS's WKT of the zone) and .cpg, except COUNTY_WITHOUT_CPG,
 * whose files say nothing of their encoding. GeoJSON is RFC 7946 (EPSG:4490 longitude/latitude,
 * no crs member); LEGACY_CRS_COUNTY's DLTB also comes as `DLTB_<zone>.geojson`, in the zone with
 * a legacy crs member. The .dbf date is the 三调 reference date, so a seed always gives the same bytes.
 */
export const COUNTY_WITHOUT_CPG = '371526';
export const LEGACY_CRS_COUNTY = '371502';
/** 三调 统一时点 (the survey's reference date), written as the .dbf's last-update date. */
export const DELIVERY_DATE = new Date(Date.UTC(2019, 11, 31));

/** Rows fetched from the cursor at a time. */
const BATCH_ROWS = 1000;
/** Progress is reported every this many features of a file, and at its end. */
const PROGRESS_EVERY = 10_000;
/** RFC 7946 §11.2 suggests 6 decimals (10 cm); 9 keep the millimetre coordinates (1e-9° ≈ 0.1 mm). */
const LON_LAT_DECIMALS = 9;

export type DeliveryProgress =
  | { readonly stage: 'parcels' | 'planning' }
  | { readonly stage: 'writing'; readonly file: string; readonly features: number; readonly done: boolean };

export interface WrittenLayer {
  readonly county: string;
  readonly zoneSrid: number;
  readonly layer: DeliveryLayer['key'];
  readonly files: readonly string[];
  readonly features: number;
}

export interface DeliveryResult {
  readonly layers: readonly WrittenLayer[];
}

interface County {
  readonly code: string;
  readonly zoneSrid: number;
  readonly prj: string;
}

export async function generateDelivery(
  pool: Pool,
  options: DeliveryOptions,
  onProgress: (progress: DeliveryProgress) => void = () => undefined,
): Promise<DeliveryResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Bulk geometry work, not a request: the pool's per-statement deadline (meant for tiles)
    // would cancel it. Serial plans keep every union's input order, and so its output bytes.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
    onProgress({ stage: 'parcels' });
    await createSampleParcels(client, options);
    await client.query('ANALYZE sample_parcel');
    await createMillimetreFunctions(client);
    await createDeliveryCounties(client);
    // The planning layers are drawn on the delivered parcels, so these are made in any case.
    await createLandUseTable(client);
    const layers = DELIVERY_LAYERS.filter((layer) => options.layers.includes(layer.key));
    if (layers.some((layer) => layer.key !== 'landuse')) {
      onProgress({ stage: 'planning' });
      await createPlanningTables(client, options.seed);
    }
    const written: WrittenLayer[] = [];
    for (const county of await readCounties(client)) {
      const dir = join(options.outDir, county.code);
      await mkdir(dir, { recursive: true });
      for (const layer of layers) {
        written.push(await writeLayer(client, dir, county, layer, outputSpec(options, county, layer), onProgress));
      }
    }
    return { layers: written };
  } finally {
    // Nothing is kept: the rollback drops the temp tables. A connection that cannot even roll
    // back (lost mid-stream) is discarded rather than returned to the pool.
    const broken = await client.query('ROLLBACK').then(() => undefined, (error: unknown) => error as Error);
    client.release(broken);
  }
}

async function readCounties(client: PoolClient): Promise<County[]> {
  const { rows } = await client.query<{ code: string; zone_srid: number; srtext: string | null }>(
    `SELECT c.code, c.zone_srid, s.srtext FROM delivery_county c LEFT JOIN spatial_ref_sys s ON s.srid = c.zone_srid ORDER BY c.code`,
  );
  return rows.map((row) => {
    if (!row.srtext) throw new Error(`spatial_ref_sys has no EPSG:${row.zone_srid}, needed for the .prj of county ${row.code}`);
    return { code: row.code, zoneSrid: row.zone_srid, prj: row.srtext };
  });
}

function outputSpec(options: DeliveryOptions, county: County, layer: DeliveryLayer): LayerOutputSpec {
  const geojson = options.format !== 'shapefile';
  return {
    shapefile: options.format === 'geojson' ? null : { prj: county.prj, cpg: county.code !== COUNTY_WITHOUT_CPG, lastUpdate: DELIVERY_DATE },
    lonLatGeoJson: geojson,
    zoneGeoJson: geojson && layer.key === 'landuse' && county.code === LEGACY_CRS_COUNTY,
  };
}

async function writeLayer(
  client: PoolClient,
  dir: string,
  county: County,
  layer: DeliveryLayer,
  spec: LayerOutputSpec,
  onProgress: (progress: DeliveryProgress) => void,
): Promise<WrittenLayer> {
  const outputs = await openLayerOutputs(dir, layer, county.zoneSrid, spec);
  const label = join(county.code, layer.fileName);
  let features = 0;
  try {
    const stream = client.query(new QueryStream(layerQuery(layer, outputs.needsLonLat), [county.code], { batchSize: BATCH_ROWS }));
    for await (const row of stream as AsyncIterable<Record<string, AttributeValue>>) {
      const { zone_json: zoneJson, lon_lat_json: lonLatJson, ...properties } = row;
      await outputs.write({ properties, zoneJson: zoneJson as string, lonLatJson: (lonLatJson ?? null) as string | null });
      features++;
      if (features % PROGRESS_EVERY === 0) onProgress({ stage: 'writing', file: label, features, done: false });
    }
  } finally {
    await outputs.close();
  }
  onProgress({ stage: 'writing', file: label, features, done: true });
  return { county: county.code, zoneSrid: county.zoneSrid, layer: layer.key, files: outputs.files, features };
}

/**
 * $1: county code. Outer rings counter-clockwise as RFC 7946 wants (the Shapefile writer turns
 * them clockwise); options 0 leaves the crs member out of each geometry.
 */
function layerQuery(layer: DeliveryLayer, withLonLat: boolean): string {
  const columns = layer.fields.map((field) => escapeIdentifier(field.name));
  columns.push('ST_AsGeoJSON(ST_ForcePolygonCCW(geom_gk), 3, 0) AS zone_json');
  if (withLonLat) columns.push(`ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform(geom_gk, 4490)), ${LON_LAT_DECIMALS}, 0) AS lon_lat_json`);
  return `SELECT ${columns.join(', ')} FROM ${layer.table} WHERE county_code = $1 ORDER BY seq`;
}
