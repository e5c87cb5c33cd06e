import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MultiPolygon, Polygon } from 'geojson';
import { createShapefileWriter, type FieldSpec } from '../../../pipeline/delivery/shapefile-writer.js';
import type { Pool } from '../../../core/db/pool.js';

/**
 * Small 三调 deliveries written with the project's own Shapefile writer: a row of rectangular
 * parcels in a Gauss-Kruger zone, GBK attributes, a .prj taken from PostGIS's own WKT of the
 * zone (so the CRS detection reads what real tools write), and optionally no .cpg.
 */
export const PARCEL_FIELDS: readonly FieldSpec[] = [
  { name: 'BSM', type: 'C', length: 18 },
  { name: 'DLBM', type: 'C', length: 5 },
  { name: 'DLMC', type: 'C', length: 60 },
  { name: 'QSDWMC', type: 'C', length: 60 },
  { name: 'TBMJ', type: 'N', length: 15, decimals: 2 },
];

export interface ParcelSpec {
  readonly bsm: string;
  readonly dlbm: string;
  readonly dlmc: string;
  /** Lower-left corner and size in metres, in the zone's coordinates. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Overrides the declared area (TBMJ); default width × height. */
  readonly tbmj?: number;
}

export async function prjOf(pool: Pool, srid: number): Promise<string> {
  const { rows } = await pool.query<{ srtext: string }>('SELECT srtext FROM spatial_ref_sys WHERE srid = $1', [srid]);
  return rows[0]!.srtext;
}

export async function writeParcelShapefile(
  basePath: string,
  parcels: readonly ParcelSpec[],
  { prj, cpg = false }: { prj: string | null; cpg?: boolean },
): Promise<string> {
  await mkdir(dirname(basePath), { recursive: true });
  const writer = await createShapefileWriter(basePath, { shapeType: 'polygon', fields: PARCEL_FIELDS, encoding: 'gbk', prj, cpg });
  try {
    for (const parcel of parcels) {
      await writer.write(
        { BSM: parcel.bsm, DLBM: parcel.dlbm, DLMC: parcel.dlmc, QSDWMC: '张庄村民委员会', TBMJ: parcel.tbmj ?? parcel.width * parcel.height },
        rectangle(parcel),
      );
    }
  } finally {
    await writer.close();
  }
  return writer.file;
}

function rectangle({ x, y, width, height }: ParcelSpec): Polygon | MultiPolygon {
  return { type: 'Polygon', coordinates: [[[x, y], [x + width, y], [x + width, y + height], [x, y + height], [x, y]]] };
}

/**
 * `count` parcels of 100 m x 50 m at millimetre coordinates, near Liaocheng in zone 39, in rows
 * of `perRow` from west to east, rows going north.
 */
export function parcelRow(count: number, { x0 = 39_470_000.123, y0 = 4_030_000.456, dlbm = '0101', dlmc = '水田', prefix = '371502', perRow = count } = {}): ParcelSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    bsm: `${prefix}${String(i + 1).padStart(12, '0')}`,
    dlbm,
    dlmc,
    x: x0 + (i % perRow) * 100,
    y: y0 + Math.floor(i / perRow) * 50,
    width: 100,
    height: 50,
  }));
}
