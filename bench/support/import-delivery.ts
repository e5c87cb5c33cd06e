import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MultiPolygon, Polygon } from 'geojson';
import QueryStream from 'pg-query-stream';
import { escapeIdentifier } from 'pg';
import { qualifiedLiveView } from '../../core/db/dataset-layout.js';
import type { Pool } from '../../core/db/pool.js';
import { createShapefileWriter, type FieldSpec } from '../../pipeline/delivery/shapefile-writer.js';
import type { AttributeValue } from '../../pipeline/readers/feature-source.js';
import { LANDUSE_SAMPLE_DATASET } from '../../pipeline/sample/generate-sample.js';

/** The delivery's CRS: Gauss-Kruger zone 39, where a county projects all of Liaocheng. */
export const DELIVERY_SRID = 4527;
/** Coordinates are written rounded to 1 mm, as survey software writes them. */
const GRID_METRES = 0.001;
const SHAPEFILE_NAME = 'DLTB';
/** Rows fetched per round trip of the cursor. */
const FETCH_ROWS = 2_000;
const PROGRESS_EVERY = 100_000;
const MAIN_HEADER_BYTES = 100;
const SHX_RECORD_BYTES = 8;

/**
 * The .dbf columns: every attribute of the sample (names fit dBASE's 10 characters), with the
 * widths of the 三调 DLTB layer (TD/T 1057), except that the two unit names (C 255 there) are
 * C 60 like DLMC, which their values (7 to 9 characters, 14 to 18 bytes in GBK) fit with room.
 */
const DLTB_FIELDS: readonly FieldSpec[] = [
  { name: 'BSM', type: 'C', length: 18 },
  { name: 'YSDM', type: 'C', length: 10 },
  { name: 'TBBH', type: 'C', length: 8 },
  { name: 'DLBM', type: 'C', length: 5 },
  { name: 'DLMC', type: 'C', length: 60 },
  { name: 'QSXZ', type: 'C', length: 2 },
  { name: 'QSDWDM', type: 'C', length: 19 },
  { name: 'QSDWMC', type: 'C', length: 60 },
  { name: 'ZLDWDM', type: 'C', length: 19 },
  { name: 'ZLDWMC', type: 'C', length: 60 },
  { name: 'TBMJ', type: 'N', length: 19, decimals: 2 },
  { name: 'KCDLBM', type: 'C', length: 5 },
  { name: 'KCXS', type: 'N', length: 6, decimals: 4 },
  { name: 'KCMJ', type: 'N', length: 19, decimals: 2 },
  { name: 'TBDLMJ', type: 'N', length: 19, decimals: 2 },
  { name: 'GDLX', type: 'C', length: 2 },
  { name: 'XZQDM', type: 'C', length: 12 },
  { name: 'SJNF', type: 'N', length: 4 },
];

/** The delivery both importers read. */
export interface BenchDelivery {
  /** The .shp, beside its .shx, .dbf, .prj and .cpg. */
  readonly shpPath: string;
  /** The .shp relative to the import root: the dataset's `source.path`. */
  readonly sourcePath: string;
  readonly featureCount: number;
  /** .shp plus .dbf on disk. */
  readonly bytes: number;
}

/**
 * The Shapefile of the first `parcels` parcels (by fid) of the published sample, written once
 * into `<dataDir>/dltb-<parcels>/DLTB.shp` and reused by later runs: GBK text with a .cpg, a
 * .prj with PostGIS's WKT of EPSG:4527, coordinates in that zone rounded to 1 mm. The source
 * database is opened with `openSource` only when the file must be written (its pool is ended
 * here). The file is written into a folder of its own and renamed into place when complete, so
 * an interrupted run never leaves a file a later run would take for finished.
 */
export async function ensureDelivery(
  openSource: () => Promise<Pool>,
  dataDir: string,
  parcels: number,
  progress: (message: string) => void,
): Promise<BenchDelivery> {
  const folder = `dltb-${parcels}`;
  const directory = join(dataDir, folder);
  const sourcePath = `${folder}/${SHAPEFILE_NAME}.shp`;
  if (!(await isComplete(directory))) {
    const partial = join(dataDir, `${folder}.partial-${process.pid}`);
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    const pool = await openSource();
    try {
      const started = Date.now();
      progress(`writing ${sourcePath} (${parcels} parcels, GBK, EPSG:${DELIVERY_SRID}) under ${dataDir}`);
      await writeDelivery(pool, join(partial, SHAPEFILE_NAME), parcels, progress);
      await rm(directory, { recursive: true, force: true });
      await rename(partial, directory);
      progress(`delivery written in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw error;
    } finally {
      await pool.end();
    }
  }
  const base = join(directory, SHAPEFILE_NAME);
  const [shp, shx, dbf] = await Promise.all(['shp', 'shx', 'dbf'].map((extension) => stat(`${base}.${extension}`)));
  return {
    shpPath: `${base}.shp`,
    sourcePath,
    featureCount: (shx!.size - MAIN_HEADER_BYTES) / SHX_RECORD_BYTES,
    bytes: shp!.size + dbf!.size,
  };
}

async function isComplete(directory: string): Promise<boolean> {
  const names = await readdir(directory).catch(() => [] as string[]);
  return ['shp', 'shx', 'dbf', 'prj', 'cpg'].every((extension) => names.includes(`${SHAPEFILE_NAME}.${extension}`));
}

interface ParcelRow extends Record<string, AttributeValue> {
  geometry: string;
}

async function writeDelivery(pool: Pool, basePath: string, parcels: number, progress: (message: string) => void): Promise<void> {
  const { rows } = await pool.query<{ srtext: string }>('SELECT srtext FROM spatial_ref_sys WHERE srid = $1', [DELIVERY_SRID]);
  if (!rows[0]) throw new Error(`spatial_ref_sys has no EPSG:${DELIVERY_SRID}`);
  const writer = await createShapefileWriter(basePath, { shapeType: 'polygon', fields: DLTB_FIELDS, encoding: 'gbk', prj: rows[0].srtext, cpg: true });
  const client = await pool.connect();
  try {
    // One long read: the pool's statement deadline is meant for tiles.
    await client.query('BEGIN');
    await client.query('SET LOCAL statement_timeout = 0');
    const columns = DLTB_FIELDS.map((field) => escapeIdentifier(field.name)).join(', ');
    const parcelsQuery = new QueryStream(
      `SELECT ${columns}, ST_AsGeoJSON(ST_SnapToGrid(ST_Transform(geom, ${DELIVERY_SRID}), ${GRID_METRES}), 3) AS geometry
         FROM ${qualifiedLiveView(LANDUSE_SAMPLE_DATASET)} ORDER BY fid LIMIT $1`,
      [parcels],
      { batchSize: FETCH_ROWS },
    );
    let written = 0;
    for await (const row of client.query(parcelsQuery) as AsyncIterable<ParcelRow>) {
      const { geometry, ...properties } = row;
      await writer.write(properties, JSON.parse(geometry) as Polygon | MultiPolygon);
      if (++written % PROGRESS_EVERY === 0) progress(`  ${written} parcels written`);
    }
    await client.query('COMMIT');
    if (written < parcels) progress(`the sample holds only ${written} parcels: the delivery has ${written}`);
  } finally {
    client.release(true);
    await writer.close();
  }
}
