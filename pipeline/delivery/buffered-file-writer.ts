import { open, type FileHandle } from 'node:fs/promises';

/** Bytes gathered before each write to disk. */
const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * Appends to a new file through one reusable buffer, so writing a file of any size holds one
 * chunk in memory; `patch` overwrites bytes already written (headers whose values are known only
 * at the end).
 */
export class BufferedFileWriter {
  private readonly buffer: Buffer;
  private used = 0;
  /** File offset of `buffer[0]`. */
  private flushedBytes = 0;

  private constructor(private readonly handle: FileHandle, chunkBytes: number) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  /** Creates (or truncates) `path`. */
  static async create(path: string, chunkBytes = DEFAULT_CHUNK_BYTES): Promise<BufferedFileWriter> {
    return new BufferedFileWriter(await open(path, 'w'), chunkBytes);
  }

  /** Bytes appended so far: the offset the next `append` writes at. */
  get offset(): number {
    return this.flushedBytes + this.used;
  }

  async append(bytes: Uint8Array): Promise<void> {
    if (this.used + bytes.length > this.buffer.length) await this.flush();
    if (bytes.length > this.buffer.length) {
      await this.writeFully(bytes, this.flushedBytes);
      this.flushedBytes += bytes.length;
      return;
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Overwrites bytes at `position`, which must lie within what was appended. */
  async patch(bytes: Uint8Array, position: number): Promise<void> {
    await this.flush();
    await this.writeFully(bytes, position);
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.writeFully(this.buffer.subarray(0, this.used), this.flushedBytes);
    this.flushedBytes += this.used;
    this.used = 0;
  }

  private async writeFully(bytes: Uint8Array, position: number): Promise<void> {
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, written, bytes.length - written, position + written);
      written += bytesWritten;
    }
  }
}
