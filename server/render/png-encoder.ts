import { crc32, deflateSync } from 'node:zlib';

/**
 * A PNG writer for the raster tiles (PNG 1.2 / ISO 15948): 8-bit truecolour with alpha (colour
 * type 6), every row with filter type 0 (None), one IDAT chunk compressed with Node's zlib.
 *
 * Why not sharp: for a 256 px tile, sharp's fixed cost (a libvips pipeline per image) was most of
 * the encode: a z16 tile took 0.9 ms of CPU with sharp against 0.34 ms here, a z12 tile 2.3 ms
 * against 1.2 ms, for files within 3 % of the same size (bench/README.md, "npm run bench:raster").
 * Why filter None: map tiles are flat colour, so a row mostly repeats the row above and deflate
 * finds it as one long match; Sub or Up filtering made these tiles larger and took twice the CPU.
 * Why synchronous: zlib's asynchronous form cost 0.1-0.4 ms more CPU per tile (a stream object and
 * a thread-pool hop), and with two CPUs busy the CPU is what limits raster tiles per second. The
 * event loop is held for the deflate, about a third of what drawing the tile holds it (z12:
 * 1.2 ms against 3 ms).
 */
export interface PngOptions {
  /**
   * zlib level, 1 fastest .. 9 smallest. Level 3 was both faster and smaller than level 1 on the
   * sample tiles (zlib's level 1 chains matches less and leaves more literals to code); level 6
   * took 2.5x the CPU for files 10-20 % smaller.
   */
  readonly compressionLevel: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** IHDR: width, height (4 bytes each), bit depth, colour type, compression, filter, interlace. */
const IHDR_BYTES = 13;
const BIT_DEPTH = 8;
const COLOUR_TYPE_RGBA = 6;
const FILTER_NONE = 0;
const BYTES_PER_PIXEL = 4;
/** Length, type, CRC: the bytes of a chunk besides its data. */
const CHUNK_OVERHEAD_BYTES = 12;

/** Bytes of the filtered image (scanlines) that deflate compresses: encodePng's `scratch` size. */
export function scanlineBytes(width: number, height: number): number {
  return (width * BYTES_PER_PIXEL + 1) * height;
}

/**
 * Encodes un-premultiplied RGBA pixels (width * height * 4 bytes, rows top to bottom) as a PNG.
 * `scratch`, when given, is a buffer of scanlineBytes(width, height) to build the scanlines in,
 * reused from one image to the next: a 256 px tile would otherwise allocate 257 KB, and these
 * allocations cost render workers as much garbage collection as the deflate itself.
 */
export function encodePng(pixels: Uint8Array, width: number, height: number, { compressionLevel }: PngOptions, scratch?: Buffer): Buffer {
  const stride = width * BYTES_PER_PIXEL;
  if (pixels.byteLength !== stride * height) throw new Error(`encodePng: ${pixels.byteLength} bytes of pixels for a ${width} x ${height} image`);
  const size = scanlineBytes(width, height);
  if (scratch && scratch.byteLength !== size) throw new Error(`encodePng: a scratch buffer of ${scratch.byteLength} bytes for ${size} bytes of scanlines`);
  // Each scanline is its filter type byte followed by the row as it is.
  const scanlines = scratch ?? Buffer.allocUnsafe(size);
  for (let y = 0, source = 0, target = 0; y < height; y++, source += stride, target += stride + 1) {
    scanlines[target] = FILTER_NONE;
    scanlines.set(pixels.subarray(source, source + stride), target + 1);
  }
  const compressed = deflateSync(scanlines, { level: compressionLevel });

  const png = Buffer.allocUnsafe(SIGNATURE.length + 3 * CHUNK_OVERHEAD_BYTES + IHDR_BYTES + compressed.length);
  let offset = SIGNATURE.copy(png, 0);
  const header = Buffer.alloc(IHDR_BYTES);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = BIT_DEPTH;
  header[9] = COLOUR_TYPE_RGBA;
  // Bytes 10-12: compression method 0 (deflate), filter method 0, no interlace.
  offset = writeChunk(png, offset, 'IHDR', header);
  offset = writeChunk(png, offset, 'IDAT', compressed);
  writeChunk(png, offset, 'IEND', Buffer.alloc(0));
  return png;
}

/** Writes length, type, data and the CRC of type and data at `offset`; returns the offset after it. */
function writeChunk(target: Buffer, offset: number, type: string, data: Buffer): number {
  target.writeUInt32BE(data.length, offset);
  target.write(type, offset + 4, 'latin1');
  data.copy(target, offset + 8);
  const end = offset + 8 + data.length;
  target.writeUInt32BE(crc32(target.subarray(offset + 4, end)), end);
  return end + 4;
}
