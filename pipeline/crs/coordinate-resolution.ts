/**
 * The coordinate resolution of a delivery: the decimal step its coordinates were written with
 * (0.001 for eastings rounded to the millimetre, 0.000001 for degrees to six decimals), and that
 * step as a distance on the ground. QA's `coarseCoordinates` check requires 1 m or finer: 0.1 mm
 * on a 1:10 000 map, about the finest detail a map of that scale shows.
 *
 * Each value's step is the place of its last significant decimal digit in the shortest text that
 * reads back as the same double (`String(value)`), which is how the writer's rounding shows:
 * 39470123.456 → 0.001, 4030120 → 10. The delivery's step per axis is the median of these, not
 * the finest: a delivery rounded to 10 m still holds a few vertices that a GIS computed to 15
 * digits (clipped edges, snapped intersections), and those must not make it pass. The finest
 * step is reported too.
 *
 * What it cannot see: rounding that is not decimal. A delivery that went through float32
 * (4 m steps near 39 000 000) comes out as whole metres, so as a 1 m step.
 */

export interface CoordinateResolution {
  /** The step of the x values (easting or longitude) in the CRS's unit: half the values are written this coarsely or coarser. */
  readonly stepX: number;
  readonly stepY: number;
  /** The finest step any sampled value uses. */
  readonly finestStepX: number;
  readonly finestStepY: number;
  /** The coarser of stepX and stepY as a distance on the ground, in metres (degrees converted at the sample's latitudes, taking the worst). */
  readonly groundStepMetres: number;
}

export type CoordinateUnit = 'metre' | 'degree';

/** Interleaved coordinates: x0, y0, x1, y1, ... */
const OFFSET_X = 0;
const OFFSET_Y = 1;
const STRIDE = 2;

/** CGCS2000 ellipsoid: semi-major axis (m) and first eccentricity squared. */
const SEMI_MAJOR_AXIS = 6378137;
const FLATTENING = 1 / 298.257222101;
const ECCENTRICITY_SQUARED = FLATTENING * (2 - FLATTENING);
const DEGREE = Math.PI / 180;

/**
 * The resolution of a sample of coordinates (x0, y0, x1, y1, ...; degrees with y the latitude),
 * or null when the sample has no non-zero value on an axis to judge by. Throws RangeError on a
 * value that is not a finite number: those are the reader's to refuse, never to average away.
 */
export function estimateCoordinateResolution(coordinates: ArrayLike<number>, unit: CoordinateUnit): CoordinateResolution | null {
  if (coordinates.length % STRIDE !== 0) throw new RangeError(`coordinates must come in x, y pairs; got ${coordinates.length} values`);
  const exponentsX: number[] = [];
  const exponentsY: number[] = [];
  let minAbsLatitude = 90;
  let maxAbsLatitude = 0;
  for (let i = 0; i < coordinates.length; i += STRIDE) {
    const x = coordinates[i + OFFSET_X]!;
    const y = coordinates[i + OFFSET_Y]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`coordinate ${i / STRIDE} is not a finite number: ${x}, ${y}`);
    if (x !== 0) exponentsX.push(decimalExponent(x));
    if (y !== 0) exponentsY.push(decimalExponent(y));
    const latitude = Math.min(Math.abs(y), 90);
    if (latitude < minAbsLatitude) minAbsLatitude = latitude;
    if (latitude > maxAbsLatitude) maxAbsLatitude = latitude;
  }
  if (exponentsX.length === 0 || exponentsY.length === 0) return null;
  exponentsX.sort((a, b) => a - b);
  exponentsY.sort((a, b) => a - b);
  const stepX = powerOfTen(lowerMedian(exponentsX));
  const stepY = powerOfTen(lowerMedian(exponentsY));
  const groundStepMetres = unit === 'metre'
    ? Math.max(stepX, stepY)
    // A degree of longitude is longest nearest the equator, one of latitude nearest the pole.
    : Math.max(stepX * metresPerDegreeOfLongitude(minAbsLatitude), stepY * metresPerDegreeOfLatitude(maxAbsLatitude));
  return {
    stepX,
    stepY,
    finestStepX: powerOfTen(exponentsX[0]!),
    finestStepY: powerOfTen(exponentsY[0]!),
    groundStepMetres,
  };
}

/**
 * The power of ten of a value's last significant digit, as the shortest round-trip text shows
 * it: 39470123.456 → -3, 4030120 → 1, 1.5e-7 → -8. `value` must be finite and non-zero.
 */
export function decimalExponent(value: number): number {
  const text = Math.abs(value).toString();
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  // The shortest round-trip text has no trailing zeros after the point.
  if (dot >= 0) return exponent - (mantissa.length - dot - 1);
  let zeros = 0;
  while (zeros < mantissa.length - 1 && mantissa[mantissa.length - 1 - zeros] === '0') zeros++;
  return exponent + zeros;
}

/** 10^exponent as the double nearest to it: `10 ** -4` is 0.00009999999999999999. */
function powerOfTen(exponent: number): number {
  return Number(`1e${exponent}`);
}

/** The lower median of sorted values: with an even count, the finer of the two middle ones. */
function lowerMedian(sorted: readonly number[]): number {
  return sorted[(sorted.length - 1) >> 1]!;
}

function metresPerDegreeOfLatitude(latitude: number): number {
  const s = Math.sin(latitude * DEGREE);
  return (DEGREE * SEMI_MAJOR_AXIS * (1 - ECCENTRICITY_SQUARED)) / Math.pow(1 - ECCENTRICITY_SQUARED * s * s, 1.5);
}

function metresPerDegreeOfLongitude(latitude: number): number {
  const s = Math.sin(latitude * DEGREE);
  return (DEGREE * SEMI_MAJOR_AXIS * Math.cos(latitude * DEGREE)) / Math.sqrt(1 - ECCENTRICITY_SQUARED * s * s);
}
