import sharp from 'sharp';
import { tileBounds, type TileCoord, type TileMatrixSet } from '../../../core/grid/tile-matrix-set.js';

/** Decoded RGBA pixels of an encoded image. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
}

export async function decodePixels(image: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

export function pixelAt(pixels: Pixels, x: number, y: number): [number, number, number, number] {
  const i = (Math.floor(y) * pixels.width + Math.floor(x)) * 4;
  return [pixels.data[i]!, pixels.data[i + 1]!, pixels.data[i + 2]!, pixels.data[i + 3]!];
}

/** Largest difference of any channel between two pixels. */
export function channelDistance(a: readonly number[], b: readonly number[]): number {
  return Math.max(...a.map((value, i) => Math.abs(value - b[i]!)));
}

export interface ImageDifference {
  /** Pixels with a channel differing by more than the tolerance. */
  readonly mismatched: number;
  readonly total: number;
  /** The first mismatched pixel, for the failure message. */
  readonly first: { x: number; y: number; actual: number[]; expected: number[] } | null;
}

/** Per-pixel comparison: a pixel matches when no channel differs by more than `tolerance`. */
export function compareImages(actual: Pixels, expected: Pixels, tolerance: number): ImageDifference {
  if (actual.width !== expected.width || actual.height !== expected.height) {
    throw new Error(`image is ${actual.width}x${actual.height}, expected ${expected.width}x${expected.height}`);
  }
  let mismatched = 0;
  let first: ImageDifference['first'] = null;
  for (let i = 0; i < actual.data.length; i += 4) {
    let distance = 0;
    for (let c = 0; c < 4; c++) distance = Math.max(distance, Math.abs(actual.data[i + c]! - expected.data[i + c]!));
    if (distance <= tolerance) continue;
    mismatched += 1;
    if (!first) {
      const pixel = i / 4;
      first = { x: pixel % actual.width, y: Math.floor(pixel / actual.width), actual: [...actual.data.subarray(i, i + 4)], expected: [...expected.data.subarray(i, i + 4)] };
    }
  }
  return { mismatched, total: actual.width * actual.height, first };
}

const EARTH_RADIUS_METRES = 6378137;

/** Where a point (degrees, EPSG:4490) falls on the image of a tile, in pixels. */
export function pixelOf(grid: TileMatrixSet, tile: TileCoord, lon: number, lat: number, size: number): [number, number] {
  const [x, y] = gridPoint(grid, lon, lat);
  const [minX, minY, maxX, maxY] = tileBounds(grid, tile);
  return [((x - minX) / (maxX - minX)) * size, ((maxY - y) / (maxY - minY)) * size];
}

/** The point in the CRS units of the grid (for tileAtPoint). */
export function gridPoint(grid: TileMatrixSet, lon: number, lat: number): [number, number] {
  return grid.srid === 3857
    ? [(lon * Math.PI * EARTH_RADIUS_METRES) / 180, EARTH_RADIUS_METRES * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))]
    : [lon, lat];
}
