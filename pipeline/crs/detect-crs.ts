import { ImportError, type ImportLocation } from '../../core/errors.js';
import type { CrsHint } from '../readers/feature-source.js';
import { epsgCodeOfName } from './crs-name.js';
import { legacyDatumOfSrid, legacyDatumProblem } from './legacy-datums.js';
import { describeSrid, SRID_WGS84, SUPPORTED_CRS_TEXT, supportedCrs } from './supported-crs.js';
import { identifyWktCrs } from './wkt-crs.js';

/** Where the CRS of a delivery file came from. */
export type CrsSource = 'prj' | 'geojson' | 'gpkg' | 'config';

export interface ResolvedCrs {
  /** The EPSG code of the file's coordinates: 4490, 4326 or one of 4491–4554 (see supported-crs). */
  readonly srid: number;
  readonly source: CrsSource;
  /** For logs and the import report: the CRS and how it was found. */
  readonly description: string;
}

/**
 * The CRS of a delivery file's coordinates, or an ImportError saying why it cannot be known.
 *
 * - The dataset config's `source.srid`, when given, wins over whatever the file declares: it is
 *   the way to correct a missing or wrong .prj, so it must be able to override one. It must be a
 *   supported code like any other.
 * - Otherwise the file's declaration (`hint`): a WKT (.prj, or a GeoPackage srs definition; see
 *   wkt-crs.ts), an EPSG code (GeoPackage srs_id, GeoJSON 2008 `"type": "EPSG"`), or a GeoJSON
 *   `crs` name (see crs-name.ts).
 * - A GeoJSON file that declares nothing is WGS 84 longitude/latitude, as RFC 7946 §4 says; if
 *   it really holds Gauss-Kruger metres, checkCoordinates says so and names the likely code.
 * - Any other file that declares nothing is refused: guessing a zone is how data ends up 300 km
 *   away.
 *
 * Beijing 1954, New Beijing and Xian 1980 are refused with a message saying so (legacy-datums.ts).
 * Which reader made the hint is told by the file name (`.gpkg`, `.geojson`/`.json`; anything
 * else has a .prj), since the hint does not say.
 */
export function resolveCrs(hint: CrsHint | null, configured: { readonly srid?: number } | undefined, location: ImportLocation): ResolvedCrs {
  if (configured?.srid !== undefined) {
    const resolved = resolveCode(configured.srid, 'config', `the dataset config (source.srid: ${configured.srid})`, location);
    const note = hint === null ? '' : '; what the file itself declares is not used';
    return { ...resolved, description: `${resolved.description}${note}` };
  }
  const format = fileFormat(location.file);
  if (hint === null) {
    if (format === 'geojson') {
      return { srid: SRID_WGS84, source: 'geojson', description: `${describeSrid(SRID_WGS84)} longitude/latitude: the file has no crs member, so RFC 7946 §4 applies` };
    }
    const missing = format === 'gpkg' ? 'the GeoPackage layer declares no CRS' : 'no .prj';
    throw new ImportError(location, `${missing} and no crs in the dataset config: the coordinate system cannot be known. ` +
      'Deliver the .prj with the shapefile, or set source.srid in the dataset config ' +
      '(e.g. 4527 for CGCS2000 3° zone 39 eastings like 39470000, 4548 for CM 117E eastings like 470000)');
  }
  switch (hint.kind) {
    case 'wkt': {
      const source = format === 'gpkg' ? 'gpkg' : 'prj';
      const { srid, description } = identifyWktCrs(hint.wkt, source === 'gpkg' ? 'the GeoPackage srs definition' : 'the .prj', location);
      return { srid, source, description };
    }
    case 'epsg': {
      const source = format === 'geojson' ? 'geojson' : 'gpkg';
      return resolveCode(hint.code, source, `${source === 'gpkg' ? 'the GeoPackage srs_id' : 'the crs member'} EPSG:${hint.code}`, location);
    }
    case 'name': {
      const code = epsgCodeOfName(hint.name);
      if (code === undefined) {
        throw new ImportError(location, `the crs name "${hint.name}" is neither an EPSG code (urn:ogc:def:crs:EPSG::4527, EPSG:4527, ` +
          `http://www.opengis.net/def/crs/EPSG/0/4527) nor OGC CRS84; ${SUPPORTED_CRS_TEXT}`);
      }
      return resolveCode(code, 'geojson', `the crs name "${hint.name}"`, location);
    }
  }
}

function resolveCode(srid: number, source: CrsSource, what: string, location: ImportLocation): ResolvedCrs {
  if (supportedCrs(srid)) return { srid, source, description: `${describeSrid(srid)}, from ${what}` };
  const legacy = legacyDatumOfSrid(srid);
  if (legacy) throw new ImportError(location, legacyDatumProblem(legacy, what));
  throw new ImportError(location, `${what} is not a supported CRS; ${SUPPORTED_CRS_TEXT}`);
}

/** The reader a file name implies; a zip member is named `archive.zip!/inner/name.ext`. */
function fileFormat(file: string): 'gpkg' | 'geojson' | 'other' {
  if (/\.gpkg(?:$|[!/#:])/i.test(file)) return 'gpkg';
  if (/\.(geo)?json$/i.test(file)) return 'geojson';
  return 'other';
}
