import { gaussKrugerByZonePrefix, gaussKrugerTwin, zonePrefixOf, type GaussKrugerCrs } from './cgcs2000-gauss-kruger.js';
import { describeSrid, supportedCrs } from './supported-crs.js';
import { projectGaussKruger, unprojectGaussKruger } from './transverse-mercator.js';

/**
 * Are a delivery's coordinates plausible in the CRS it was resolved to? Catches the mistakes
 * that put data hundreds of kilometres (or continents) away while every file looks fine: zone
 * number missing from or added to the eastings, x and y swapped, degrees and metres confused,
 * data outside its zone or outside China. Judged on the bounding box of a sample of features
 * (the caller's choice: the first N and every k-th), in the file's axis order (x = easting or
 * longitude). The answer is null, or a message for an ImportError saying what was expected and
 * what was found, and which CRS the data is probably in when the coordinates tell.
 */

export interface CoordinateBounds {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
}

/** China with its islands, in degrees (73°E–136°E, 3°N–54°N). */
export const CHINA = Object.freeze({ west: 73, east: 136, south: 3, north: 54 });
/** Slack around CHINA: data near a border, offshore or buffered reaches a little past it. */
const CHINA_TOLERANCE_DEGREES = 0.5;
/**
 * How far past its zone's edge (central meridian ± half the zone width) a delivery may reach.
 * A county or city is often projected whole into one zone: Liaocheng (115.27°E–116.55°E) in
 * zone 38 reaches 2.55° east of 114°E, 1.05° past the edge (in zone 39, 0.23° past it).
 */
export const ZONE_OVERLAP_DEGREES = 1.5;
/** In a metre CRS, coordinates all smaller than this are degrees: China's northings are above 300 000. */
const DEGREE_LIKE_LIMIT = 1000;
/** Beyond this no coordinate is a degree (longitudes run to 360 in some conventions). */
const METRE_LIKE_LIMIT = 360;
const FALSE_EASTING_UNPREFIXED = 500_000;

/** Northings of China's south and north edges (with tolerance); the same on every central meridian. */
const NORTHING_RANGE = [CHINA.south - CHINA_TOLERANCE_DEGREES, CHINA.north + CHINA_TOLERANCE_DEGREES]
  .map((latitude) => projectGaussKruger(0, latitude, { centralMeridian: 0, falseEasting: 0 }).northing) as [number, number];

export function checkCoordinates(srid: number, bounds: CoordinateBounds): string | null {
  const { minX, minY, maxX, maxY } = bounds;
  const values = [minX, minY, maxX, maxY];
  if (!values.some(Number.isNaN) && (minX > maxX || minY > maxY)) {
    throw new RangeError(`empty coordinate bounds (min above max): ${JSON.stringify(bounds)}`);
  }
  if (!values.every(Number.isFinite)) {
    return `coordinates must be finite numbers; found x ${minX} to ${maxX}, y ${minY} to ${maxY}`;
  }
  const crs = supportedCrs(srid);
  if (!crs) throw new RangeError(`EPSG:${srid} is not a CRS resolveCrs returns`);
  return crs.kind === 'geographic' ? checkGeographic(srid, bounds) : checkGaussKruger(crs, bounds);
}

/** Eastings of the zone's accepted band (edge plus ZONE_OVERLAP_DEGREES) at a latitude. */
export function expectedEastingRange(crs: GaussKrugerCrs, latitude: number): [number, number] {
  const reach = crs.zoneWidthDegrees / 2 + ZONE_OVERLAP_DEGREES;
  const east = projectGaussKruger(crs.centralMeridian + reach, latitude, crs).easting;
  return [2 * crs.falseEasting - east, east];
}

/** What every Gauss-Kruger message quotes. */
interface Judged {
  readonly crs: GaussKrugerCrs;
  readonly b: CoordinateBounds;
  /** `EPSG:4527 (CGCS2000 / 3-degree Gauss-Kruger zone 39)` */
  readonly label: string;
  /** `found eastings ... and northings ...` */
  readonly found: string;
  /** `eastings ... to ... were expected at these northings` */
  readonly expected: string;
}

function checkGaussKruger(crs: GaussKrugerCrs, b: CoordinateBounds): string | null {
  const label = describeSrid(crs.srid);
  if (Math.max(Math.abs(b.minX), Math.abs(b.maxX), Math.abs(b.minY), Math.abs(b.maxY)) < DEGREE_LIKE_LIMIT) {
    const likely = isInChina(b) ? ': they look like longitude/latitude, so the CRS is probably EPSG:4490' : '';
    return `${label} is in metres, but the coordinates are all below ${DEGREE_LIKE_LIMIT}, as degrees would be (x ${degrees(b.minX)} to ${degrees(b.maxX)}, y ${degrees(b.minY)} to ${degrees(b.maxY)})${likely}`;
  }
  const southernmost = latitudeAt(crs, Math.max(b.minY, NORTHING_RANGE[0]));
  const [expectedWest, expectedEast] = expectedEastingRange(crs, Math.min(southernmost, CHINA.north));
  const judged: Judged = {
    crs,
    b,
    label,
    found: `found eastings ${metres(b.minX)} to ${metres(b.maxX)} and northings ${metres(b.minY)} to ${metres(b.maxY)}`,
    expected: `eastings ${metres(expectedWest)} to ${metres(expectedEast)} were expected at these northings`,
  };
  return checkSwappedAxes(judged) ?? checkZonePrefix(judged) ?? checkZoneExtent(judged);
}

function checkSwappedAxes({ crs, b, label }: Judged): string | null {
  const swapped = { minX: b.minY, maxX: b.maxY, minY: b.minX, maxY: b.maxX };
  if (!isEastingLike(crs, swapped) || !isNorthingLike(swapped) || isEastingLike(crs, b)) return null;
  return `x and y appear swapped: x holds northings and y eastings of ${label} (found x ${metres(b.minX)} to ${metres(b.maxX)}, ` +
    `y ${metres(b.minY)} to ${metres(b.maxY)}); the file's x must be the easting, even where survey convention calls the northing X`;
}

/** The zone number in front of the eastings: missing, extra, another zone's, or mixed. */
function checkZonePrefix({ crs, b, label, found, expected }: Judged): string | null {
  const prefix = zonePrefixOf(b.minX);
  const hasOnePrefix = prefix === zonePrefixOf(b.maxX);
  if (crs.hasZonePrefix && !hasOnePrefix) {
    return `${label} puts the zone number ${crs.zone} in front of every easting, so ${expected}; ${found}, from ${describePrefix(b.minX)} ` +
      `in the west to ${describePrefix(b.maxX)} in the east: a delivery must be in one zone`;
  }
  if (crs.hasZonePrefix && prefix !== crs.zone) {
    if (Math.abs(b.minX) < 1_000_000 && Math.abs(b.maxX) < 1_000_000) {
      return `${label} puts the zone number ${crs.zone} in front of the easting, so ${expected}; ${found}, without the zone number: ` +
        `the data is probably in ${describeSrid(gaussKrugerTwin(crs).srid)}`;
    }
    const other = gaussKrugerByZonePrefix(prefix);
    return `${label} puts the zone number ${crs.zone} in front of the easting, so ${expected}; ${found}, ` +
      (other ? `which carry the zone number ${prefix}: the data is probably in ${describeSrid(other.srid)}` : `and ${prefix} is no CGCS2000 zone number`);
  }
  const prefixed = !crs.hasZonePrefix && b.minX >= 10_000_000 && hasOnePrefix ? gaussKrugerByZonePrefix(prefix) : undefined;
  if (prefixed) {
    const otherMeridian = prefixed.centralMeridian === crs.centralMeridian ? '' : ` (central meridian ${prefixed.centralMeridian}°E, not ${crs.centralMeridian}°E)`;
    return `${label} has no zone number in front of the easting, so ${expected}; ${found}, which carry the zone number ${prefix}: ` +
      `the data is probably in ${describeSrid(prefixed.srid)}${otherMeridian}`;
  }
  return null;
}

/** Northings within China, eastings within the zone and its overlap. */
function checkZoneExtent({ crs, b, label, found, expected }: Judged): string | null {
  const south = latitudeAt(crs, b.minY);
  const north = latitudeAt(crs, b.maxY);
  if (south < CHINA.south - CHINA_TOLERANCE_DEGREES || north > CHINA.north + CHINA_TOLERANCE_DEGREES) {
    return `northings ${metres(b.minY)} to ${metres(b.maxY)} are at ${degrees(south)}° to ${degrees(north)}° latitude, outside China (${CHINA.south}°N to ${CHINA.north}°N); ${found} in ${label}`;
  }
  // For a given easting, the distance from the central meridian in degrees grows northwards, so
  // the longitudes at the southern edge of the box are ones the data reaches at least.
  const west = unprojectGaussKruger(b.minX, b.minY, crs).longitude;
  const east = unprojectGaussKruger(b.maxX, b.minY, crs).longitude;
  const half = crs.zoneWidthDegrees / 2;
  const reach = half + ZONE_OVERLAP_DEGREES;
  if (west >= crs.centralMeridian - reach && east <= crs.centralMeridian + reach) return null;
  return `coordinates lie outside the zone of ${label}, which covers ${crs.centralMeridian - half}°E to ${crs.centralMeridian + half}°E ` +
    `(${ZONE_OVERLAP_DEGREES}° beyond is accepted), so ${expected}; ${found}, reaching ${degrees(west)}°E to ${degrees(east)}°E`;
}

function checkGeographic(srid: number, b: CoordinateBounds): string | null {
  const label = describeSrid(srid);
  const found = `found x ${degrees(b.minX)} to ${degrees(b.maxX)}, y ${degrees(b.minY)} to ${degrees(b.maxY)}`;
  const largest = Math.max(Math.abs(b.minX), Math.abs(b.maxX), Math.abs(b.minY), Math.abs(b.maxY));
  if (largest > METRE_LIKE_LIMIT) {
    return `${label} is longitude/latitude in degrees, but the coordinates reach ${metres(largest)}, as metres would (x ${metres(b.minX)} to ${metres(b.maxX)}, y ${metres(b.minY)} to ${metres(b.maxY)})${guessProjectedCrs(b)}`;
  }
  if (isInChina(b)) return null;
  const swapped = { minX: b.minY, maxX: b.maxY, minY: b.minX, maxY: b.maxX };
  const isLatitudeBeyond90 = Math.abs(b.minX) <= 90 && Math.abs(b.maxX) <= 90 && (Math.abs(b.minY) > 90 || Math.abs(b.maxY) > 90);
  if (isInChina(swapped) || isLatitudeBeyond90) {
    return `latitude and longitude appear swapped: ${found}, where x must be the longitude (${CHINA.west}°E to ${CHINA.east}°E for China) and y the latitude (${CHINA.south}°N to ${CHINA.north}°N), whatever axis order ${label} has in the EPSG register`;
  }
  if (Math.abs(b.minY) > 90 || Math.abs(b.maxY) > 90) {
    return `coordinates are not longitude/latitude (latitude y within ±90° expected): ${found}`;
  }
  return `coordinates lie outside China (longitudes ${CHINA.west}°E to ${CHINA.east}°E and latitudes ${CHINA.south}°N to ${CHINA.north}°N expected): ${found}`;
}

/** What metres in a degree CRS probably are, from the look of the eastings. */
function guessProjectedCrs(b: CoordinateBounds): string {
  const prefix = zonePrefixOf(b.minX);
  const prefixed = prefix === zonePrefixOf(b.maxX) ? gaussKrugerByZonePrefix(prefix) : undefined;
  if (prefixed && isNorthingLike(b)) {
    return `: they look like Gauss-Kruger eastings with the zone number ${prefix}, so the CRS is probably ${describeSrid(prefixed.srid)}`;
  }
  if (b.minX > 0 && b.maxX < 2 * FALSE_EASTING_UNPREFIXED && isNorthingLike(b)) {
    return ': they look like Gauss-Kruger eastings without a zone number (EPSG:4534–4554 for 3° zones, 4502–4512 for 6°, ' +
      'by central meridian, which the coordinates cannot tell): set source.srid in the dataset config';
  }
  return '';
}

function describePrefix(easting: number): string {
  return Math.abs(easting) < 1_000_000 ? 'no zone number' : `zone number ${zonePrefixOf(easting)}`;
}

function isEastingLike(crs: GaussKrugerCrs, b: CoordinateBounds): boolean {
  if (crs.hasZonePrefix) return zonePrefixOf(b.minX) === crs.zone && zonePrefixOf(b.maxX) === crs.zone;
  return b.minX > 0 && b.maxX < 2 * FALSE_EASTING_UNPREFIXED;
}

function isNorthingLike(b: CoordinateBounds): boolean {
  return b.minY >= NORTHING_RANGE[0] && b.maxY <= NORTHING_RANGE[1];
}

function isInChina(b: CoordinateBounds): boolean {
  const slack = CHINA_TOLERANCE_DEGREES;
  return b.minX >= CHINA.west - slack && b.maxX <= CHINA.east + slack && b.minY >= CHINA.south - slack && b.maxY <= CHINA.north + slack;
}

/** Latitude on the central meridian at a northing. */
function latitudeAt(crs: GaussKrugerCrs, northing: number): number {
  return unprojectGaussKruger(crs.falseEasting, northing, crs).latitude;
}

function metres(value: number): string {
  return Math.round(value).toString();
}

function degrees(value: number): string {
  return Number(value.toFixed(4)).toString();
}
