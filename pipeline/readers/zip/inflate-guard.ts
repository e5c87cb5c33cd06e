import { Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { Entry } from 'yauzl';
import { ImportError } from '../../../core/errors.js';
import type { ZipLimits } from './zip-limits.js';

/**
 * Counts the bytes that entries actually inflate to, for one extraction, and stops the
 * stream at the first byte past a limit: the central directory's sizes were checked before
 * extraction, but a crafted zip can declare one size and inflate to another, so they are
 * not trusted here. At the end of each entry, its size and CRC-32 must match its header.
 */
export class InflateGuard {
  private totalBytes = 0;

  constructor(
    private readonly limits: ZipLimits,
    /** The zip file's size: the whole zip is held to maxRatio against it. */
    private readonly zipBytes: number,
  ) {}

  /** A pass-through stream for one entry's inflated bytes; `label` names it in errors. */
  forEntry(label: string, entry: Entry): Transform {
    let bytes = 0;
    let crc = 0;
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        bytes += chunk.length;
        this.totalBytes += chunk.length;
        crc = crc32(chunk, crc);
        const problem = this.findProblem(bytes, entry);
        callback(problem === null ? null : new ImportError({ file: label }, problem), problem === null ? chunk : undefined);
      },
      flush: (callback) => {
        if (bytes !== entry.uncompressedSize) {
          callback(new ImportError({ file: label }, `inflates to ${bytes} bytes, not the ${entry.uncompressedSize} its header declares: the zip is damaged or crafted`));
        } else if (crc !== entry.crc32) {
          callback(new ImportError({ file: label }, 'is damaged: its CRC-32 does not match its header'));
        } else {
          callback();
        }
      },
    });
  }

  private findProblem(bytes: number, entry: Entry): string | null {
    const { maxRatio, maxTotalBytes, ratioGraceBytes } = this.limits;
    if (bytes > entry.uncompressedSize) {
      return `inflates to more than the ${entry.uncompressedSize} bytes its header declares: the zip is damaged or crafted (refused as a possible zip bomb)`;
    }
    if (bytes > ratioGraceBytes && bytes > maxRatio * entry.compressedSize) {
      return `inflates ${entry.compressedSize} bytes to more than ${bytes}, a ratio above the limit of ${maxRatio}:1 (refused as a possible zip bomb)`;
    }
    if (this.totalBytes > maxTotalBytes) {
      return `brings the bytes inflated from the zip to ${this.totalBytes}, more than the limit of ${maxTotalBytes}`;
    }
    if (this.totalBytes > ratioGraceBytes && this.totalBytes > maxRatio * this.zipBytes) {
      return `brings the bytes inflated from the ${this.zipBytes}-byte zip to ${this.totalBytes}, a ratio above the limit of ${maxRatio}:1 (refused as a possible zip bomb)`;
    }
    return null;
  }
}
