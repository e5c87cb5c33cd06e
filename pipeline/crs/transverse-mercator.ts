/**
 * Gauss-Kruger (transverse Mercator, scale factor 1, latitude of origin 0, false northing 0) on
 * the CGCS2000 ellipsoid, forward and inverse, with Krüger's series in the third flattening n to
 * n³ (Krüger 1912, in the form of Karney 2011, "Transverse Mercator with an accuracy of a few
 * nanometers", J. Geodesy 85, truncated after n³). Within 5° of the central meridian this agrees
 * with PROJ to well under a millimetre (`test/pipeline/crs/transverse-mercator.test.ts`).
 *
 * Only for judging coordinates (is this easting inside its zone?): data is always transformed by
 * PostGIS.
 */

/** CGCS2000 ellipsoid (GB/T 20257 / EPSG:1024): semi-major axis in metres and flattening. */
const SEMI_MAJOR_AXIS = 6378137;
const FLATTENING = 1 / 298.257222101;

const n = FLATTENING / (2 - FLATTENING);
const n2 = n * n;
const n3 = n2 * n;
const n4 = n3 * n;
/** Rectifying radius: the meridian arc from equator to pole is A·π/2. */
const RECTIFYING_RADIUS = (SEMI_MAJOR_AXIS / (1 + n)) * (1 + n2 / 4 + n4 / 64);
const ECCENTRICITY = Math.sqrt(FLATTENING * (2 - FLATTENING));

const ALPHA = [n / 2 - (2 * n2) / 3 + (5 * n3) / 16, (13 * n2) / 48 - (3 * n3) / 5, (61 * n3) / 240] as const;
const BETA = [n / 2 - (2 * n2) / 3 + (37 * n3) / 96, n2 / 48 + n3 / 15, (17 * n3) / 480] as const;
const DELTA = [2 * n - (2 * n2) / 3 - 2 * n3, (7 * n2) / 3 - (8 * n3) / 5, (56 * n3) / 15] as const;

const DEGREE = Math.PI / 180;

export interface ZoneParameters {
  /** Degrees east. */
  readonly centralMeridian: number;
  /** Metres, with the zone number in front for prefixed CRSs. */
  readonly falseEasting: number;
}

/** Longitude/latitude in degrees to easting/northing in metres. */
export function projectGaussKruger(longitude: number, latitude: number, zone: ZoneParameters): { easting: number; northing: number } {
  const phi = latitude * DEGREE;
  const lambda = (longitude - zone.centralMeridian) * DEGREE;
  const t = Math.sinh(Math.atanh(Math.sin(phi)) - ECCENTRICITY * Math.atanh(ECCENTRICITY * Math.sin(phi)));
  const xi = Math.atan2(t, Math.cos(lambda));
  const eta = Math.atanh(Math.sin(lambda) / Math.sqrt(1 + t * t));
  let x = eta;
  let y = xi;
  for (let j = 1; j <= 3; j++) {
    const alpha = ALPHA[j - 1]!;
    x += alpha * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
    y += alpha * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
  }
  return { easting: zone.falseEasting + RECTIFYING_RADIUS * x, northing: RECTIFYING_RADIUS * y };
}

/** Easting/northing in metres to longitude/latitude in degrees. */
export function unprojectGaussKruger(easting: number, northing: number, zone: ZoneParameters): { longitude: number; latitude: number } {
  const xi = northing / RECTIFYING_RADIUS;
  const eta = (easting - zone.falseEasting) / RECTIFYING_RADIUS;
  let xiPrime = xi;
  let etaPrime = eta;
  for (let j = 1; j <= 3; j++) {
    const beta = BETA[j - 1]!;
    xiPrime -= beta * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
    etaPrime -= beta * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
  }
  const chi = Math.asin(Math.sin(xiPrime) / Math.cosh(etaPrime));
  let phi = chi;
  for (let j = 1; j <= 3; j++) phi += DELTA[j - 1]! * Math.sin(2 * j * chi);
  const lambda = Math.atan2(Math.sinh(etaPrime), Math.cos(xiPrime));
  return { longitude: zone.centralMeridian + lambda / DEGREE, latitude: phi / DEGREE };
}
