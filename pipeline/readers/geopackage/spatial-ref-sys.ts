import type { Database } from 'better-sqlite3';
import { ImportError } from '../../../core/errors.js';
import type { CrsHint } from '../feature-source.js';
import { columnNames, hasTable } from './sqlite-schema.js';

/**
 * The CRS a GeoPackage declares for a geometry column, from its gpkg_spatial_ref_sys row
 * (OGC 12-128r18 §1.1.2): an EPSG code when the row says organization EPSG, else the WKT of its
 * definition. Interpreting either is the CRS step's job (pipeline/crs/detect-crs.ts).
 *
 * srs_id -1 and 0 are the spec's "undefined Cartesian" and "undefined geographic" systems: the
 * file declares no CRS, which is null here (the dataset's configured srid may then supply one).
 */

const UNDEFINED_SRS_IDS = new Set([-1, 0]);
/** What the spec's rows for the undefined systems hold as their definition. */
const UNDEFINED_DEFINITION = 'undefined';
/** The WKT2 column that the CRS WKT extension (gpkg_crs_wkt) adds, when the file has it. */
const WKT2_COLUMN = 'definition_12_063';

interface SrsRow {
  readonly organization: string | null;
  readonly organization_coordsys_id: number | null;
  readonly definition: string | null;
  readonly wkt2: string | null;
}

export function readCrsHint(db: Database, file: string, srsId: number): CrsHint | null {
  if (UNDEFINED_SRS_IDS.has(srsId)) return null;
  if (!hasTable(db, 'gpkg_spatial_ref_sys')) throw new ImportError({ file }, `declares srs_id ${srsId} for its geometry column, but has no gpkg_spatial_ref_sys table`);
  const wkt2 = columnNames(db, 'gpkg_spatial_ref_sys').includes(WKT2_COLUMN) ? WKT2_COLUMN : 'NULL';
  const row = db
    .prepare(`SELECT organization, organization_coordsys_id, definition, ${wkt2} AS wkt2 FROM gpkg_spatial_ref_sys WHERE srs_id = ?`)
    .get(srsId) as SrsRow | undefined;
  if (row === undefined) throw new ImportError({ file }, `declares srs_id ${srsId} for its geometry column, but gpkg_spatial_ref_sys has no such row`);
  const code = row.organization_coordsys_id;
  if (row.organization?.trim().toUpperCase() === 'EPSG' && typeof code === 'number' && Number.isInteger(code) && code > 0) {
    return { kind: 'epsg', code };
  }
  const wkt = [row.definition, row.wkt2].map((text) => text?.trim() ?? '').find((text) => text !== '' && text.toLowerCase() !== UNDEFINED_DEFINITION);
  return wkt === undefined ? null : { kind: 'wkt', wkt };
}
