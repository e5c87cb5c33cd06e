import { writeFile } from 'node:fs/promises';

/**
 * Builds .shp and .shx files byte by byte, straight from the ESRI Shapefile Technical Description
 * (1998), for shape types the writer does not write (points, lines, Z and M) and for records the
 * writer refuses to write (open rings, NaN). Independent of the reader's code on purpose.
 */

export type XY = readonly [number, number];

/** Point, PointZ (type 11: X Y Z M) or PointM (type 21: X Y M). */
export function pointRecord(type: 1 | 11 | 21, [x, y]: XY): Buffer {
  const content = Buffer.alloc(type === 1 ? 20 : type === 11 ? 36 : 28);
  content.writeInt32LE(type, 0);
  content.writeDoubleLE(x, 4);
  content.writeDoubleLE(y, 12);
  if (type !== 1) content.writeDoubleLE(123.5, 20);
  if (type === 11) content.writeDoubleLE(7, 28);
  return content;
}

/** MultiPoint (8) or MultiPointZ (18), the latter with Z and M arrays. */
export function multiPointRecord(type: 8 | 18, points: readonly XY[]): Buffer {
  const n = points.length;
  const content = Buffer.alloc(40 + 16 * n + (type === 18 ? 2 * (16 + 8 * n) : 0));
  content.writeInt32LE(type, 0);
  content.writeInt32LE(n, 36);
  points.forEach(([x, y], i) => {
    content.writeDoubleLE(x, 40 + 16 * i);
    content.writeDoubleLE(y, 48 + 16 * i);
  });
  return content;
}

/** PolyLine (3), Polygon (5) and their Z (13, 15) and M (23, 25) types; Z types get Z and M arrays, M types an M array. */
export function partsRecord(type: 3 | 5 | 13 | 15 | 23 | 25, parts: ReadonlyArray<readonly XY[]>): Buffer {
  const n = parts.reduce((sum, part) => sum + part.length, 0);
  const pointsAt = 44 + 4 * parts.length;
  const measures = type === 13 || type === 15 ? 2 : type === 23 || type === 25 ? 1 : 0;
  const content = Buffer.alloc(pointsAt + 16 * n + measures * (16 + 8 * n));
  content.writeInt32LE(type, 0);
  content.writeInt32LE(parts.length, 36);
  content.writeInt32LE(n, 40);
  let point = 0;
  parts.forEach((part, p) => {
    content.writeInt32LE(point, 44 + 4 * p);
    for (const [x, y] of part) {
      content.writeDoubleLE(x, pointsAt + 16 * point);
      content.writeDoubleLE(y, pointsAt + 16 * point + 8);
      point++;
    }
  });
  // Z (or M) values after the points: a range, then one per point.
  for (let i = 0; i < measures * (2 + n); i++) content.writeDoubleLE(i, pointsAt + 16 * n + 8 * i);
  return content;
}

export function nullRecord(): Buffer {
  return Buffer.alloc(4);
}

/** Writes `<shp>` and its .shx holding `records` (record contents), with header shape type `shapeType`. */
export async function writeRawShapes(shp: string, shapeType: number, records: readonly Buffer[]): Promise<void> {
  const header = (fileBytes: number): Buffer => {
    const bytes = Buffer.alloc(100);
    bytes.writeInt32BE(9994, 0);
    bytes.writeInt32BE(fileBytes / 2, 24);
    bytes.writeInt32LE(1000, 28);
    bytes.writeInt32LE(shapeType, 32);
    return bytes;
  };
  const shpParts: Buffer[] = [];
  const shxParts: Buffer[] = [];
  let offset = 100;
  records.forEach((content, i) => {
    const recordHeader = Buffer.alloc(8);
    recordHeader.writeInt32BE(i + 1, 0);
    recordHeader.writeInt32BE(content.length / 2, 4);
    const entry = Buffer.alloc(8);
    entry.writeInt32BE(offset / 2, 0);
    entry.writeInt32BE(content.length / 2, 4);
    shpParts.push(recordHeader, content);
    shxParts.push(entry);
    offset += 8 + content.length;
  });
  await writeFile(shp, Buffer.concat([header(offset), ...shpParts]));
  await writeFile(shp.replace(/\.shp$/, '.shx'), Buffer.concat([header(100 + 8 * records.length), ...shxParts]));
}
