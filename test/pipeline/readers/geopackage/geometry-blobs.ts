import type { Geometry, Position } from 'geojson';

/**
 * Encodes GeoPackage geometry blobs for the tests, straight from OGC 12-128r18 §2.1.3.1.1 (the
 * 'GP' header) and ISO 13249-3 / OGC 06-103r4 §8 (WKB), independent of the reader's code on
 * purpose. Writes what it is given, NaN and open rings included, so the tests can also make the
 * blobs a reader must refuse. `geometry-blobs.test.ts` pins the bytes against hand-decoded hex.
 */

export type Dimensions = 'xy' | 'xyz' | 'xym' | 'xyzm';

export interface BlobOptions {
  readonly srsId: number;
  /** Byte order of header and WKB alike; default little-endian. */
  readonly isBigEndian?: boolean;
  /** Write an xy envelope (indicator 1) into the header; default none. */
  readonly hasEnvelope?: boolean;
  /** Extra dimensions, written with made-up Z (12.5) and M (99) values; default xy. */
  readonly dimensions?: Dimensions;
  /** How the WKB type states extra dimensions: ISO (+1000/2000/3000) or EWKB flag bits; default ISO. */
  readonly typeCodes?: 'iso' | 'ewkb';
  /** Set the header's empty flag (bit 4). */
  readonly isEmpty?: boolean;
}

const WKB_TYPES: Readonly<Record<Geometry['type'], number>> = {
  Point: 1, LineString: 2, Polygon: 3, MultiPoint: 4, MultiLineString: 5, MultiPolygon: 6, GeometryCollection: 7,
};
const ISO_OFFSET: Readonly<Record<Dimensions, number>> = { xy: 0, xyz: 1000, xym: 2000, xyzm: 3000 };
const EWKB_FLAGS: Readonly<Record<Dimensions, number>> = { xy: 0, xyz: 0x80000000, xym: 0x40000000, xyzm: 0xc0000000 };
const Z_VALUE = 12.5;
const M_VALUE = 99;

/** A StandardGeoPackageBinary blob: 'GP', version 0, flags, srs_id, envelope, then the WKB. */
export function geometryBlob(geometry: Geometry, options: BlobOptions): Buffer {
  const isLittleEndian = options.isBigEndian !== true;
  const flags = (isLittleEndian ? 0b1 : 0) | (options.hasEnvelope === true ? 0b0010 : 0) | (options.isEmpty === true ? 0b1_0000 : 0);
  const header = Buffer.alloc(8 + (options.hasEnvelope === true ? 32 : 0));
  header.write('GP', 0, 'latin1');
  header[2] = 0;
  header[3] = flags;
  writeInt32(header, options.srsId, 4, isLittleEndian);
  if (options.hasEnvelope === true) envelopeOf(geometry).forEach((value, i) => writeDouble(header, value, 8 + 8 * i, isLittleEndian));
  return Buffer.concat([header, wkb(geometry, options)]);
}

/** A blob with the empty flag set and POINT EMPTY (NaN NaN) as its WKB, as GDAL writes empty points. */
export function emptyPointBlob(srsId: number): Buffer {
  return geometryBlob({ type: 'Point', coordinates: [Number.NaN, Number.NaN] }, { srsId, isEmpty: true });
}

/** The WKB of a geometry, in the options' byte order, dimensions and type codes. */
export function wkb(geometry: Geometry, options: Omit<BlobOptions, 'srsId'> = {}): Buffer {
  const isLittleEndian = options.isBigEndian !== true;
  const dimensions = options.dimensions ?? 'xy';
  const base = WKB_TYPES[geometry.type];
  const type = options.typeCodes === 'ewkb' ? (base | EWKB_FLAGS[dimensions]) >>> 0 : base + ISO_OFFSET[dimensions];
  const head = Buffer.alloc(5);
  head[0] = isLittleEndian ? 1 : 0;
  writeUint32(head, type, 1, isLittleEndian);
  const body = ((): Buffer[] => {
    switch (geometry.type) {
      case 'Point':
        return [points([geometry.coordinates], dimensions, isLittleEndian, false)];
      case 'LineString':
        return [points(geometry.coordinates, dimensions, isLittleEndian)];
      case 'Polygon':
        return [count(geometry.coordinates.length, isLittleEndian), ...geometry.coordinates.map((ring) => points(ring, dimensions, isLittleEndian))];
      case 'MultiPoint':
        return members(geometry.coordinates.map((coordinates) => ({ type: 'Point', coordinates })), options, isLittleEndian);
      case 'MultiLineString':
        return members(geometry.coordinates.map((coordinates) => ({ type: 'LineString', coordinates })), options, isLittleEndian);
      case 'MultiPolygon':
        return members(geometry.coordinates.map((coordinates) => ({ type: 'Polygon', coordinates })), options, isLittleEndian);
      case 'GeometryCollection':
        return members(geometry.geometries, options, isLittleEndian);
    }
  })();
  return Buffer.concat([head, ...body]);
}

function members(geometries: readonly Geometry[], options: Omit<BlobOptions, 'srsId'>, isLittleEndian: boolean): Buffer[] {
  return [count(geometries.length, isLittleEndian), ...geometries.map((geometry) => wkb(geometry, options))];
}

/** Points as doubles, preceded by their count unless `isCounted` is false (a Point has no count). */
function points(positions: readonly Position[], dimensions: Dimensions, isLittleEndian: boolean, isCounted = true): Buffer {
  const perPoint = dimensions === 'xy' ? 2 : dimensions === 'xyzm' ? 4 : 3;
  const extra = dimensions === 'xyz' ? [Z_VALUE] : dimensions === 'xym' ? [M_VALUE] : dimensions === 'xyzm' ? [Z_VALUE, M_VALUE] : [];
  const bytes = Buffer.alloc(positions.length * perPoint * 8);
  positions.forEach((position, i) => {
    [position[0]!, position[1]!, ...extra].forEach((value, k) => writeDouble(bytes, value, (i * perPoint + k) * 8, isLittleEndian));
  });
  return isCounted ? Buffer.concat([count(positions.length, isLittleEndian), bytes]) : bytes;
}

function count(value: number, isLittleEndian: boolean): Buffer {
  const bytes = Buffer.alloc(4);
  writeUint32(bytes, value, 0, isLittleEndian);
  return bytes;
}

/** minx, maxx, miny, maxy, the order §2.1.3.1.1 gives. */
function envelopeOf(geometry: Geometry): number[] {
  const xs: number[] = [];
  const ys: number[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value) && typeof value[0] === 'number') {
      xs.push(value[0]);
      ys.push(value[1] as number);
    } else if (Array.isArray(value)) value.forEach(visit);
  };
  if (geometry.type === 'GeometryCollection') geometry.geometries.forEach((member) => visit('coordinates' in member ? member.coordinates : []));
  else visit(geometry.coordinates);
  return [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
}

function writeInt32(bytes: Buffer, value: number, offset: number, isLittleEndian: boolean): void {
  if (isLittleEndian) bytes.writeInt32LE(value, offset);
  else bytes.writeInt32BE(value, offset);
}

function writeUint32(bytes: Buffer, value: number, offset: number, isLittleEndian: boolean): void {
  if (isLittleEndian) bytes.writeUInt32LE(value, offset);
  else bytes.writeUInt32BE(value, offset);
}

function writeDouble(bytes: Buffer, value: number, offset: number, isLittleEndian: boolean): void {
  if (isLittleEndian) bytes.writeDoubleLE(value, offset);
  else bytes.writeDoubleBE(value, offset);
}
