import type { Position } from 'geojson';
import { ImportError, type ImportLocation } from '../../../core/errors.js';

/** Where a geometry is: its file, feature (1-based) and geometry column. */
export type GeometryLocation = ImportLocation & { readonly feature: number; readonly field: string };

const BYTES_DOUBLE = 8;
const BYTES_UINT32 = 4;

/**
 * Reads a geometry blob front to back. Every read is bounds-checked first, so that a truncated or
 * crafted blob (a count of four billion points in twenty bytes) fails with the byte at which it
 * ends instead of reading garbage or allocating for the stated count.
 */
export class WkbCursor {
  offset: number;
  /** The byte order of the WKB geometry being read: each geometry, even inside a collection, states its own. */
  isLittleEndian = true;
  private readonly view: DataView;

  constructor(
    private readonly blob: Uint8Array,
    offset: number,
    readonly location: GeometryLocation,
  ) {
    this.offset = offset;
    this.view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  }

  get remainingBytes(): number {
    return this.blob.length - this.offset;
  }

  /** Throws unless `byteCount` more bytes are there; `what` names what they should hold. */
  require(byteCount: number, what: string): void {
    if (byteCount > this.remainingBytes) {
      this.fail(`has a geometry blob of ${this.blob.length} bytes that ends inside ${what} (${byteCount} bytes from byte ${this.offset}): the blob is truncated`);
    }
  }

  uint8(what: string): number {
    this.require(1, what);
    return this.blob[this.offset++]!;
  }

  uint32(what: string): number {
    this.require(BYTES_UINT32, what);
    const value = this.view.getUint32(this.offset, this.isLittleEndian);
    this.offset += BYTES_UINT32;
    return value;
  }

  int32(what: string): number {
    this.require(BYTES_UINT32, what);
    const value = this.view.getInt32(this.offset, this.isLittleEndian);
    this.offset += BYTES_UINT32;
    return value;
  }

  double(what: string): number {
    this.require(BYTES_DOUBLE, what);
    const value = this.view.getFloat64(this.offset, this.isLittleEndian);
    this.offset += BYTES_DOUBLE;
    return value;
  }

  /**
   * `count` points of `dimensions` doubles each (x, y, then z and/or m, which are dropped), as
   * positions. Each x and y must be finite; `what` names the points in messages (`ring 2`).
   */
  positions(count: number, dimensions: number, what: string): Position[] {
    const stride = dimensions * BYTES_DOUBLE;
    this.require(count * stride, `the ${count} points of ${what}`);
    const { view, isLittleEndian } = this;
    const positions: Position[] = new Array<Position>(count);
    for (let i = 0, at = this.offset; i < count; i++, at += stride) {
      const x = view.getFloat64(at, isLittleEndian);
      const y = view.getFloat64(at + BYTES_DOUBLE, isLittleEndian);
      if (!Number.isFinite(x) || !Number.isFinite(y)) this.failCoordinate(x, y, `point ${i + 1} of ${what}`);
      positions[i] = [x, y];
    }
    this.offset += count * stride;
    return positions;
  }

  failCoordinate(x: number, y: number, where: string): never {
    this.fail(`has a coordinate that is not a finite number at ${where}: (${x}, ${y})`);
  }

  fail(problem: string): never {
    throw new ImportError(this.location, problem);
  }
}
