import type { FileHandle } from 'node:fs/promises';

/** Bytes fetched from the file per read: large enough that the number of reads stays small. */
const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * Sequential reads from an open file through one reusable buffer, so that reading a file of any
 * size holds one chunk in memory (or one record, when a record is larger than a chunk).
 */
export class BufferedFileReader {
  private buffer: Buffer;
  /** First unread byte in `buffer`. */
  private start = 0;
  /** End of the bytes read into `buffer`. */
  private end = 0;
  /** File offset of `buffer[end]`. */
  private fileOffset: number;

  constructor(
    private readonly handle: FileHandle,
    startOffset: number,
    chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
    this.fileOffset = startOffset;
  }

  /** File offset of the next byte `read` returns. */
  get offset(): number {
    return this.fileOffset - (this.end - this.start);
  }

  /**
   * The next `length` bytes, or fewer when the file ends first (the caller knows whether that is
   * an error, and what to call it). The view is only valid until the next call.
   */
  async read(length: number): Promise<Buffer> {
    if (this.end - this.start < length) await this.fill(length);
    const available = Math.min(length, this.end - this.start);
    const view = this.buffer.subarray(this.start, this.start + available);
    this.start += available;
    return view;
  }

  private async fill(length: number): Promise<void> {
    const unread = this.end - this.start;
    if (length > this.buffer.length) {
      // One record larger than a chunk: grow to hold it (bounded by the largest record).
      const grown = Buffer.allocUnsafe(Math.max(length, this.buffer.length * 2));
      this.buffer.copy(grown, 0, this.start, this.end);
      this.buffer = grown;
    } else {
      this.buffer.copy(this.buffer, 0, this.start, this.end);
    }
    this.start = 0;
    this.end = unread;
    while (this.end < length) {
      const { bytesRead } = await this.handle.read(this.buffer, this.end, this.buffer.length - this.end, this.fileOffset);
      if (bytesRead === 0) return;
      this.end += bytesRead;
      this.fileOffset += bytesRead;
    }
  }
}
