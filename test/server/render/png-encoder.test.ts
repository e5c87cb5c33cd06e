import { inflateSync } from 'node:zlib';
import { expect } from 'chai';
import sharp from 'sharp';
import { encodePng, scanlineBytes } from '../../../server/render/png-encoder.js';

/**
 * Pixels made here: a gradient in every channel, alpha included (fully transparent, translucent
 * and opaque pixels), so that any byte out of place shows.
 */
function gradient(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      pixels[i] = x & 255;
      pixels[i + 1] = y & 255;
      pixels[i + 2] = (x * 7 + y * 3) & 255;
      pixels[i + 3] = (x + y) % 3 === 0 ? 0 : (x + y) % 3 === 1 ? 128 : 255;
    }
  }
  return pixels;
}

/** The chunks of a PNG file, in order: type and data. */
function chunksOf(png: Buffer): { type: string; data: Buffer }[] {
  const chunks: { type: string; data: Buffer }[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    chunks.push({ type: png.toString('latin1', offset + 4, offset + 8), data: png.subarray(offset + 8, offset + 8 + length) });
    offset += 12 + length;
  }
  return chunks;
}

describe('encodePng', () => {
  describe('given RGBA pixels of a 256 px tile', () => {
    const pixels = gradient(256, 256);

    it('writes a PNG that sharp (libspng: checks every CRC) decodes to the same pixels', async () => {
      const { data, info } = await sharp(encodePng(pixels, 256, 256, { compressionLevel: 3 })).raw().toBuffer({ resolveWithObject: true });
      expect(info).to.include({ width: 256, height: 256, channels: 4 });
      expect(data.equals(pixels)).to.equal(true);
    });

    it('writes 8-bit truecolour with alpha, not interlaced, with IHDR, one IDAT and IEND', () => {
      const png = encodePng(pixels, 256, 256, { compressionLevel: 3 });
      expect([...png.subarray(0, 8)]).to.deep.equal([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const chunks = chunksOf(png);
      expect(chunks.map((chunk) => chunk.type)).to.deep.equal(['IHDR', 'IDAT', 'IEND']);
      const header = chunks[0]!.data;
      expect([header.readUInt32BE(0), header.readUInt32BE(4), ...header.subarray(8)]).to.deep.equal([256, 256, 8, 6, 0, 0, 0]);
      // Every scanline has filter type 0 (None).
      const scanlines = inflateSync(chunks[1]!.data);
      expect(scanlines.length).to.equal(scanlineBytes(256, 256));
      for (let y = 0; y < 256; y++) expect(scanlines[y * (256 * 4 + 1)]).to.equal(0);
    });

    it('gives the same file when the scanlines are built in a reused scratch buffer', () => {
      const scratch = Buffer.alloc(scanlineBytes(256, 256), 0xaa);
      const once = encodePng(pixels, 256, 256, { compressionLevel: 3 });
      expect(encodePng(pixels, 256, 256, { compressionLevel: 3 }, scratch).equals(once)).to.equal(true);
      expect(encodePng(pixels, 256, 256, { compressionLevel: 3 }, scratch).equals(once)).to.equal(true);
    });
  });

  describe('given a 512 px (@2x) image', () => {
    it('round-trips through sharp', async () => {
      const pixels = gradient(512, 512);
      const { data } = await sharp(encodePng(pixels, 512, 512, { compressionLevel: 3 })).raw().toBuffer({ resolveWithObject: true });
      expect(data.equals(pixels)).to.equal(true);
    });
  });

  describe('given a buffer that does not fit the size', () => {
    it('throws, naming the sizes', () => {
      expect(() => encodePng(Buffer.alloc(100), 256, 256, { compressionLevel: 3 })).to.throw(/100 bytes of pixels for a 256 x 256 image/);
      expect(() => encodePng(gradient(256, 256), 256, 256, { compressionLevel: 3 }, Buffer.alloc(10))).to.throw(/scratch buffer of 10 bytes/);
    });
  });
});
