import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

/**
 * Zips for the tests, made by yazl in the test that uses them. yazl refuses to write unsafe
 * names, so hostile entries are written under a safe name of the same length and then
 * patched in place (patchZipEntry), as an attacker's tool would write them.
 */
export interface ZipItem {
  readonly name: string;
  /** Contents; a function gives a stream, for entries too large to hold. */
  readonly data?: string | Buffer | (() => Readable);
  readonly isDirectory?: boolean;
  /** Unix mode with the file type bits, e.g. 0o120777 for a symlink; default a regular file. */
  readonly mode?: number;
  /** Deflate (default) or store. */
  readonly compress?: boolean;
}

export async function writeZip(path: string, items: readonly ZipItem[]): Promise<void> {
  const zip = new yazl.ZipFile();
  const done = pipeline(zip.outputStream, createWriteStream(path));
  for (const item of items) {
    const mtime = new Date('2024-05-01T00:00:00Z');
    const options = { mode: item.mode ?? 0o100644, compress: item.compress ?? true, mtime };
    if (item.isDirectory) zip.addEmptyDirectory(item.name, { mode: item.mode ?? 0o040755, mtime });
    else if (typeof item.data === 'function') {
      const open = item.data;
      zip.addReadStreamLazy(item.name, options, (callback) => callback(null, open()));
    } else zip.addBuffer(Buffer.from(item.data ?? ''), item.name, options);
  }
  zip.end();
  await done;
}

/** `bytes` zero bytes, streamed 1 MiB at a time: 200 MB deflate to about 200 KB. */
export function zeros(bytes: number): () => Readable {
  const block = Buffer.alloc(1 << 20);
  return () =>
    Readable.from(
      (function* () {
        for (let left = bytes; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left);
      })(),
    );
}

export interface EntryPatch {
  /** A new name of the same length in bytes. */
  readonly name?: Buffer | string;
  readonly flags?: (flags: number) => number;
  readonly compressionMethod?: number;
  readonly uncompressedBytes?: number;
}

// APPNOTE 4.3.12 (central directory header) and 4.3.7 (local file header) field offsets.
const EOCD_SIGNATURE = 0x06054b50;
const EOCD_ENTRY_COUNT = 10;
const EOCD_DIRECTORY_OFFSET = 16;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL = { flags: 8, method: 10, uncompressed: 24, nameLength: 28, extraLength: 30, commentLength: 32, localOffset: 42, name: 46 };
const LOCAL = { flags: 6, method: 8, uncompressed: 22, name: 30 };

/** Rewrites fields of the entry named `name` in both its central directory and local headers. */
export async function patchZipEntry(path: string, name: string, patch: EntryPatch): Promise<void> {
  const zip = await readFile(path);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || zip.readUInt32LE(eocd) !== EOCD_SIGNATURE) throw new Error('no end of central directory');
  let at = zip.readUInt32LE(eocd + EOCD_DIRECTORY_OFFSET);
  let isFound = false;
  for (let i = 0; i < zip.readUInt16LE(eocd + EOCD_ENTRY_COUNT); i++) {
    if (zip.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new Error(`no central directory header at ${at}`);
    const nameLength = zip.readUInt16LE(at + CENTRAL.nameLength);
    if (zip.toString('utf8', at + CENTRAL.name, at + CENTRAL.name + nameLength) === name) {
      isFound = true;
      const local = zip.readUInt32LE(at + CENTRAL.localOffset);
      for (const [header, offsets] of [[at, CENTRAL], [local, LOCAL]] as const) {
        if (patch.name !== undefined) {
          const bytes = Buffer.from(patch.name);
          if (bytes.length !== nameLength) throw new Error(`the new name has ${bytes.length} bytes, not ${nameLength}`);
          bytes.copy(zip, header + offsets.name);
        }
        if (patch.flags) zip.writeUInt16LE(patch.flags(zip.readUInt16LE(header + offsets.flags)), header + offsets.flags);
        if (patch.compressionMethod !== undefined) zip.writeUInt16LE(patch.compressionMethod, header + offsets.method);
        if (patch.uncompressedBytes !== undefined) zip.writeUInt32LE(patch.uncompressedBytes, header + offsets.uncompressed);
      }
    }
    at += CENTRAL.name + nameLength + zip.readUInt16LE(at + CENTRAL.extraLength) + zip.readUInt16LE(at + CENTRAL.commentLength);
  }
  if (!isFound) throw new Error(`no entry ${name}`);
  await writeFile(path, zip);
}
