import sharp from 'sharp';
import { encodePng } from './png-encoder.js';
import type { RasterFormat } from './raster-tile-service.js';

/**
 * Encoder settings, measured on sample tiles (docs/ARCHITECTURE.md):
 * - PNG with our own writer (png-encoder.ts: half sharp's CPU per tile) at zlib level 3 without
 *   filtering: a dense z12 tile took 4 ms for 42 KB, against 12 ms for 39.5 KB at level 6;
 *   adaptive filtering made these flat-colour images slower and larger (15 ms, 55 KB);
 * - WebP lossy at quality 90 (lossless came out larger than the PNG), low effort for speed;
 * - JPEG at quality 85 with 4:4:4 chroma: thin coloured outlines bleed with 4:2:0.
 */
const PNG_OPTIONS = { compressionLevel: 3 } as const;
const WEBP_OPTIONS = { quality: 90, effort: 1 } as const;
const JPEG_OPTIONS = { quality: 85, chromaSubsampling: '4:4:4', mozjpeg: false } as const;

/** JPEG has no transparency: uncovered pixels show as white paper. */
const JPEG_BACKGROUND = { r: 255, g: 255, b: 255 };

/**
 * Encodes un-premultiplied RGBA pixels (Canvas2D getImageData): PNG with zlib in this thread
 * (png-encoder.ts says why; `scratch` as there), WebP and JPEG with sharp on libuv's thread pool.
 */
export async function encodeImage(pixels: Buffer, size: number, format: RasterFormat, scratch?: Buffer): Promise<Buffer> {
  if (format === 'png') return encodePng(pixels, size, size, PNG_OPTIONS, scratch);
  const image = sharp(pixels, { raw: { width: size, height: size, channels: 4 } });
  switch (format) {
    case 'webp':
      return image.webp(WEBP_OPTIONS).toBuffer();
    case 'jpg':
      return image.flatten({ background: JPEG_BACKGROUND }).jpeg(JPEG_OPTIONS).toBuffer();
  }
}
