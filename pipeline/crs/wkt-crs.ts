import { ImportError, type ImportLocation } from '../../core/errors.js';
import { matchGaussKruger, zoneWidthFromName } from './cgcs2000-gauss-kruger.js';
import { legacyDatumOfEllipsoid, legacyDatumOfName, legacyDatumOfSrid, legacyDatumProblem, normalizeName, type LegacyDatum } from './legacy-datums.js';
import { describeSrid, SRID_CGCS2000, SRID_WGS84, SUPPORTED_CRS_TEXT, supportedCrs } from './supported-crs.js';
import { childNode, childNodes, nodeName, numberArg, parseWkt, type WktNode } from './wkt.js';

/**
 * Which EPSG CRS a WKT definition (a .prj, a GeoPackage srs definition) is, in any of the
 * flavours met in deliveries: ESRI (`PROJCS["CGCS2000_3_Degree_GK_Zone_39",...
 * PROJECTION["Gauss_Kruger"]...]`, also user-defined ones with `Transverse_Mercator`), GDAL's
 * WKT1 with AUTHORITY, and WKT2 with ID.
 *
 * An EPSG code on the CRS itself is preferred: it is what the writer meant. The definition's
 * own datum and parameters are still read, and a code they contradict (EPSG:4527 with a false
 * easting of 500 000, or on the Beijing 1954 datum) is refused rather than trusted: the file is
 * wrong somewhere and nobody can tell where. Without a code, the datum must be CGCS2000 (or
 * WGS 84 for longitude/latitude) and the projection Gauss-Kruger with scale factor 1, latitude
 * of origin 0, false northing 0 and metres; the central meridian and false easting then name
 * the EPSG code (`matchGaussKruger`).
 */

export interface IdentifiedCrs {
  readonly srid: number;
  readonly description: string;
}

const PROJECTED = ['PROJCS', 'PROJCRS', 'PROJECTEDCRS'];
const GEOGRAPHIC = ['GEOGCS', 'GEOGCRS', 'GEOGRAPHICCRS', 'GEODCRS', 'GEODETICCRS'];
const DEGREE_IN_RADIANS = Math.PI / 180;

/** What the definition says without its EPSG code. */
type Reading =
  | { readonly kind: 'crs'; readonly srid: number; readonly detail: string; readonly centralMeridian?: number; readonly falseEasting?: number }
  | { readonly kind: 'legacy'; readonly datum: LegacyDatum }
  | { readonly kind: 'unknown'; readonly problem: string };

/** `origin` names the definition in messages: `the .prj`, `the GeoPackage srs definition`. */
export function identifyWktCrs(wkt: string, origin: string, location: ImportLocation): IdentifiedCrs {
  let nodes: WktNode[];
  try {
    nodes = parseWkt(wkt);
  } catch (error) {
    throw new ImportError(location, `${origin} is not readable WKT (${(error as Error).message}): "${wkt.trim().slice(0, 80)}"`, { cause: error });
  }
  const crs = findHorizontalCrs(nodes);
  if (!crs) throw new ImportError(location, `${origin} defines no horizontal CRS ("${wkt.trim().slice(0, 80)}"); ${SUPPORTED_CRS_TEXT}`);
  const label = `${origin} "${nodeName(crs) ?? 'unnamed'}"`;
  const reading = readDefinition(crs);
  const code = epsgCode(crs);

  if (code !== undefined) {
    if (supportedCrs(code)) {
      const contradiction = findContradiction(code, reading);
      if (contradiction) throw new ImportError(location, `${label} contradicts itself: its EPSG code is ${describeSrid(code)}, but ${contradiction}; set source.srid in the dataset config to the right one`);
      return { srid: code, description: `${describeSrid(code)}, from the EPSG code in ${label}` };
    }
    const legacy = legacyDatumOfSrid(code) ?? (reading.kind === 'legacy' ? reading.datum : undefined);
    if (legacy) throw new ImportError(location, legacyDatumProblem(legacy, `${label}, EPSG:${code}`));
    throw new ImportError(location, `${label} (EPSG:${code}) is not supported; ${SUPPORTED_CRS_TEXT}`);
  }

  switch (reading.kind) {
    case 'crs':
      return { srid: reading.srid, description: `${describeSrid(reading.srid)}, from ${label} (${reading.detail})` };
    case 'legacy':
      throw new ImportError(location, legacyDatumProblem(reading.datum, label));
    case 'unknown':
      throw new ImportError(location, `${label} is not supported: ${reading.problem}; ${SUPPORTED_CRS_TEXT}`);
  }
}

/** The horizontal CRS among the top-level nodes, looking inside compound and bound CRSs. */
function findHorizontalCrs(nodes: readonly WktNode[]): WktNode | undefined {
  for (const node of nodes) {
    if (PROJECTED.includes(node.keyword) || GEOGRAPHIC.includes(node.keyword)) return node;
    const inner =
      node.keyword === 'COMPD_CS' || node.keyword === 'COMPOUNDCRS' ? findHorizontalCrs(childNodes(node, ...PROJECTED, ...GEOGRAPHIC, 'BOUNDCRS'))
      : node.keyword === 'BOUNDCRS' ? findHorizontalCrs(childNode(node, 'SOURCECRS')?.args.filter(isNode) ?? [])
      : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/** The EPSG code of the CRS itself (not of its datum or base CRS): WKT1 AUTHORITY, WKT2 ID. */
function epsgCode(crs: WktNode): number | undefined {
  for (const authority of childNodes(crs, 'AUTHORITY', 'ID')) {
    const code = numberArg(authority, 1);
    if (nodeName(authority)?.toUpperCase() === 'EPSG' && code !== undefined && Number.isInteger(code)) return code;
  }
  return undefined;
}

function findContradiction(code: number, reading: Reading): string | undefined {
  if (reading.kind === 'legacy') return `its datum is ${reading.datum}`;
  const declared = supportedCrs(code);
  if (reading.kind !== 'crs' || declared?.kind !== 'gauss-kruger' || reading.centralMeridian === undefined) return undefined;
  if (Math.abs(reading.centralMeridian - declared.centralMeridian) > 1e-6 || Math.abs((reading.falseEasting ?? NaN) - declared.falseEasting) > 1e-6) {
    return `its parameters (central meridian ${reading.centralMeridian}°E, false easting ${reading.falseEasting}) are those of ` +
      `${describeSrid(reading.srid)}, not of EPSG:${code} (central meridian ${declared.centralMeridian}°E, false easting ${declared.falseEasting})`;
  }
  return undefined;
}

function readDefinition(crs: WktNode): Reading {
  const isProjected = PROJECTED.includes(crs.keyword);
  const geographic = isProjected ? childNode(crs, 'GEOGCS', 'BASEGEOGCRS', 'BASEGEODCRS') : crs;
  if (!geographic) return { kind: 'unknown', problem: 'it names no geographic base CRS' };
  const datum = readDatum(geographic);
  if (datum.kind !== 'datum') return datum;
  const datumName = datum.srid === SRID_CGCS2000 ? 'CGCS2000' : 'WGS 84';
  const angleProblem = checkUnit(childNode(geographic, 'UNIT', 'ANGLEUNIT'), DEGREE_IN_RADIANS, 'the angles');
  if (angleProblem) return { kind: 'unknown', problem: angleProblem };
  if (!isProjected) {
    const cs = childNode(crs, 'CS');
    if (cs && typeof cs.args[0] === 'string' && cs.args[0].toLowerCase() !== 'ellipsoidal') {
      return { kind: 'unknown', problem: `it is a ${cs.args[0]} (geocentric) CRS, not longitude/latitude` };
    }
    return { kind: 'crs', srid: datum.srid, detail: `${datumName} longitude/latitude` };
  }
  if (datum.srid !== SRID_CGCS2000) return { kind: 'unknown', problem: 'WGS 84 is accepted as longitude/latitude only, not projected' };
  return readGaussKruger(crs);
}

type DatumReading = { readonly kind: 'datum'; readonly srid: number } | Exclude<Reading, { kind: 'crs' }>;

function readDatum(geographic: WktNode): DatumReading {
  const datum = childNode(geographic, 'DATUM', 'GEODETICDATUM', 'TRF', 'ENSEMBLE', 'DATUMENSEMBLE');
  const ellipsoid = datum && childNode(datum, 'SPHEROID', 'ELLIPSOID');
  const names = [datum && nodeName(datum), nodeName(geographic)].filter((name): name is string => name !== undefined);
  const semiMajorAxis = ellipsoid && numberArg(ellipsoid, 1);
  const inverseFlattening = ellipsoid && numberArg(ellipsoid, 2);
  // A legacy name, or failing that a legacy ellipsoid: a CRS renamed by hand keeps its ellipsoid.
  const legacy = names.map(legacyDatumOfName).find(Boolean) ??
    (semiMajorAxis !== undefined && inverseFlattening !== undefined ? legacyDatumOfEllipsoid(semiMajorAxis, inverseFlattening) : undefined);
  if (legacy) return { kind: 'legacy', datum: legacy };
  const shown = names[0] ?? 'unnamed';
  const srid = names.map(sridOfDatumName).find((found) => found !== undefined);
  if (srid === undefined) return { kind: 'unknown', problem: `datum "${shown}" is neither CGCS2000 nor WGS 84` };
  // CGCS2000 and WGS 84 share a = 6378137 m and differ in 1/f by 1.5e-6: either is fine here.
  const isGrs80Like = semiMajorAxis === undefined || (Math.abs(semiMajorAxis - 6378137) < 0.5 && (inverseFlattening === undefined || Math.abs(inverseFlattening - 298.2572) < 1e-3));
  if (!isGrs80Like) {
    return { kind: 'unknown', problem: `datum "${shown}" has an ellipsoid with a = ${semiMajorAxis} m, 1/f = ${inverseFlattening}, which is not that of CGCS2000` };
  }
  return { kind: 'datum', srid };
}

function sridOfDatumName(name: string): number | undefined {
  const key = normalizeName(name);
  if (/china2000|cgcs2000|chinageodeticcoordinatesystem2000|2000国家大地|国家2000/.test(key)) return SRID_CGCS2000;
  if (/wgs1984|wgs84|worldgeodeticsystem1984/.test(key)) return SRID_WGS84;
  return undefined;
}

const PARAMETER_ALIASES: Readonly<Record<string, readonly string[]>> = {
  centralMeridian: ['centralmeridian', 'longitudeofnaturalorigin', 'longitudeoforigin', 'longitudeofcenter', 'longitudeofcentre'],
  latitudeOfOrigin: ['latitudeoforigin', 'latitudeofnaturalorigin', 'latitudeofcenter', 'latitudeofcentre'],
  scaleFactor: ['scalefactor', 'scalefactoratnaturalorigin'],
  falseEasting: ['falseeasting'],
  falseNorthing: ['falsenorthing'],
};

/** A projected CGCS2000 definition: must be Gauss-Kruger as GB/T 20257 defines it. */
function readGaussKruger(crs: WktNode): Reading {
  const conversion = childNode(crs, 'CONVERSION') ?? crs;
  const method = childNode(conversion, 'PROJECTION', 'METHOD');
  const methodName = method ? nodeName(method) ?? '' : '';
  if (!/^(gausskr(u|ue|ü)ger|transversemercator)$/.test(normalizeName(methodName))) {
    return { kind: 'unknown', problem: `projection "${methodName || 'none'}" is not Gauss-Kruger (transverse Mercator)` };
  }
  const values = new Map<string, number>();
  for (const parameter of childNodes(conversion, 'PARAMETER')) {
    const key = normalizeName(nodeName(parameter) ?? '');
    const name = Object.keys(PARAMETER_ALIASES).find((candidate) => PARAMETER_ALIASES[candidate]!.includes(key));
    const value = numberArg(parameter, 1);
    if (name === undefined || value === undefined) continue;
    const isLength = name === 'falseEasting' || name === 'falseNorthing';
    const unitProblem = checkUnit(childNode(parameter, 'ANGLEUNIT', 'LENGTHUNIT'), isLength ? 1 : DEGREE_IN_RADIANS, `parameter "${nodeName(parameter)}"`);
    if (unitProblem) return { kind: 'unknown', problem: unitProblem };
    values.set(name, value);
  }
  const lengthProblem = checkUnit(childNode(crs, 'UNIT', 'LENGTHUNIT') ?? firstAxisUnit(crs), 1, 'the coordinates');
  if (lengthProblem) return { kind: 'unknown', problem: lengthProblem };
  const centralMeridian = values.get('centralMeridian');
  const falseEasting = values.get('falseEasting');
  if (centralMeridian === undefined || falseEasting === undefined) {
    return { kind: 'unknown', problem: 'it gives no central meridian or no false easting' };
  }
  for (const [name, expected] of [['scaleFactor', 1], ['latitudeOfOrigin', 0], ['falseNorthing', 0]] as const) {
    const value = values.get(name) ?? expected;
    if (Math.abs(value - expected) > 1e-9) return { kind: 'unknown', problem: `${name} is ${value}, where Gauss-Kruger has ${expected}` };
  }
  const name = nodeName(crs) ?? '';
  const match = matchGaussKruger(centralMeridian, falseEasting, name);
  if ('problem' in match) return { kind: 'unknown', problem: match.problem };
  const assumed = match.crs.hasZonePrefix || zoneWidthFromName(name) !== undefined ? '' : `; ${match.crs.zoneWidthDegrees}° zone assumed, as the name does not say`;
  return {
    kind: 'crs',
    srid: match.crs.srid,
    detail: `${methodName}, central meridian ${centralMeridian}°E, false easting ${falseEasting}${assumed}`,
    centralMeridian,
    falseEasting,
  };
}

function firstAxisUnit(crs: WktNode): WktNode | undefined {
  const axis = childNode(crs, 'AXIS') ?? childNodes(childNode(crs, 'CS') ?? crs, 'AXIS')[0];
  return axis && childNode(axis, 'LENGTHUNIT', 'UNIT');
}

/** A unit node must have the conversion factor `factor` (1: metre, π/180: degree); absent is fine. */
function checkUnit(unit: WktNode | undefined, factor: number, what: string): string | undefined {
  if (!unit) return undefined;
  const value = numberArg(unit, 1);
  if (value === undefined || Math.abs(value - factor) <= factor * 1e-9) return undefined;
  return `unit "${nodeName(unit) ?? 'unnamed'}" (factor ${value}) for ${what}, where ${factor === 1 ? 'metres' : 'degrees'} are expected`;
}

function isNode(value: unknown): value is WktNode {
  return typeof value === 'object' && value !== null;
}
