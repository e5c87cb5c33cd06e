import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { ImportError } from '../../../core/errors.js';
import { checkEntryPath, decodeEntryName, EntryProblem } from './entry-path.js';
import { InflateGuard } from './inflate-guard.js';
import { resolveZipLimits, type ZipLimits } from './zip-limits.js';

/**
 * Safe reading of zipped deliveries (shapefiles, GeoJSON or GeoPackages, possibly in folders).
 * Everything that can be refused from the central directory is refused before a byte is
 * written: path traversal, symlinks and special files, encryption, unsupported compression,
 * too many entries, declared sizes over the limits (zip-limits). Then, while inflating, the
 * bytes actually produced are counted against the same limits and the declared size, and the
 * CRC-32 is checked (inflate-guard). Every refusal is an ImportError naming the zip and entry.
 */
export interface ZipEntryInfo {
  /** Path inside the zip: relative, '/'-separated, decoded (see entry-path). */
  readonly path: string;
  readonly isDirectory: boolean;
  /** Sizes as the central directory declares them. */
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
}

export interface ExtractedZip {
  readonly zipPath: string;
  /** The folder the entries were written to. */
  readonly dir: string;
  readonly entries: readonly ZipEntryInfo[];
}

export interface ExtractOptions extends Partial<ZipLimits> {
  /** Aborting stops the extraction, which then removes what it wrote. */
  readonly signal?: AbortSignal;
}

/** How a file inside a zip is named in messages and FeatureSource.file: `archive.zip!/inner/path.shp`. */
export function zipEntryLabel(zipPath: string, innerPath: string): string {
  return `${zipPath}!/${innerPath}`;
}

/** The entries of a zip, read from its central directory only, each checked as for extraction. */
export async function listZipEntries(zipPath: string, limits: Partial<ZipLimits> = {}): Promise<ZipEntryInfo[]> {
  const checked = resolveZipLimits(limits);
  const zip = await openZip(zipPath);
  try {
    return (await readCentralDirectory(zip, zipPath, checked)).map(({ info }) => info);
  } finally {
    zip.close();
  }
}

/**
 * Extracts a zip into `destDir`, which must not exist or be empty. On any failure, whatever
 * was written is removed (and `destDir` too, when this call created it).
 */
export async function extractZip(zipPath: string, destDir: string, options: ExtractOptions = {}): Promise<ExtractedZip> {
  const { signal, ...overrides } = options;
  const limits = resolveZipLimits(overrides);
  const dir = resolve(destDir);
  const zip = await openZip(zipPath);
  let didCreate: boolean | null = null;
  try {
    // Every check that the central directory allows comes before anything is written.
    const entries = await readCentralDirectory(zip, zipPath, limits);
    didCreate = await prepareEmptyDir(dir);
    const guard = new InflateGuard(limits, zip.fileSize);
    for (const { entry, info } of entries) {
      signal?.throwIfAborted();
      const target = join(dir, ...info.path.split('/'));
      // checkEntryPath already refused `..` and absolute paths; this is the last line.
      const inside = relative(dir, target);
      if (inside.split(sep)[0] === '..' || isAbsolute(inside)) throw new Error(`unreachable: ${info.path} resolves outside ${dir}`);
      if (info.isDirectory) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      const label = zipEntryLabel(zipPath, info.path);
      await inflateEntry(zip, entry, target, guard.forEntry(label, entry), label, signal);
    }
    return { zipPath, dir, entries: entries.map(({ info }) => info) };
  } catch (error) {
    if (didCreate !== null) await (didCreate ? rm(dir, { recursive: true, force: true }) : emptyDir(dir));
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    zip.close();
  }
}

async function inflateEntry(
  zip: ZipFile,
  entry: Entry,
  target: string,
  counter: Transform,
  label: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  let source;
  try {
    source = await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw new ImportError({ file: label }, `cannot be read: ${(error as Error).message}`, { cause: error });
  }
  // `wx`: never write through a file or symlink that is already there.
  const sink = createWriteStream(target, { flags: 'wx' });
  try {
    await pipeline(source, counter, sink, signal ? { signal } : {});
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // Failures to write (ENOSPC, EACCES...) are the machine's, not the delivery's.
    if (error instanceof ImportError || signal?.aborted || (typeof code === 'string' && /^E[A-Z]+$/.test(code))) throw error;
    // zlib's Z_DATA_ERROR and yauzl's own: the entry's data are damaged.
    throw new ImportError({ file: label }, `is damaged, it cannot be inflated: ${(error as Error).message}`, { cause: error });
  }
}

interface CheckedEntry {
  readonly entry: Entry;
  readonly info: ZipEntryInfo;
}

async function openZip(zipPath: string): Promise<ZipFile> {
  try {
    // decodeStrings: false, so that names are decoded by entry-path (GBK) and checked there;
    // validateEntrySizes: false, since inflate-guard counts the bytes and names the limit.
    return await yauzl.openPromise(zipPath, { autoClose: false, decodeStrings: false, validateEntrySizes: false });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw error;
    throw new ImportError({ file: zipPath }, `is not a readable zip file: ${(error as Error).message}`, { cause: error });
  }
}

/** File-type bits of a Unix mode, as stored in the high half of the external attributes. */
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** "Version made by" hosts whose external attributes hold a Unix mode (APPNOTE 4.4.2). */
const UNIX_HOSTS = new Set([3 /* Unix */, 19 /* OS X */]);

async function readCentralDirectory(zip: ZipFile, zipPath: string, limits: ZipLimits): Promise<CheckedEntry[]> {
  if (zip.entryCount > limits.maxEntries) {
    throw new ImportError({ file: zipPath }, `holds ${zip.entryCount} entries, more than the limit of ${limits.maxEntries}`);
  }
  const checked: CheckedEntry[] = [];
  const kinds = new Map<string, 'file' | 'folder'>();
  let totalBytes = 0;
  let name = '';
  try {
    for await (const entry of zip.eachEntry()) {
      // Until the name is decoded, messages show its bytes one for one.
      name = entry.fileNameRaw.toString('latin1');
      name = decodeEntryName(entry);
      const info = checkEntry(entry, name, limits);
      totalBytes += info.uncompressedBytes;
      if (totalBytes > limits.maxTotalBytes) {
        throw new EntryProblem(`brings the zip's total uncompressed size to ${totalBytes} bytes, more than the limit of ${limits.maxTotalBytes}`);
      }
      if (info.path !== '') {
        claimPath(kinds, info);
        checked.push({ entry, info });
      }
    }
  } catch (error) {
    if (error instanceof EntryProblem) throw new ImportError({ file: zipEntryLabel(zipPath, name) }, error.message, { cause: error });
    throw new ImportError({ file: zipPath }, `is not a readable zip file: ${(error as Error).message}`, { cause: error });
  }
  if (checked.length > limits.maxEntries) {
    throw new ImportError({ file: zipPath }, `holds ${checked.length} entries, more than the limit of ${limits.maxEntries}`);
  }
  if (totalBytes > limits.ratioGraceBytes && totalBytes > limits.maxRatio * zip.fileSize) {
    throw new ImportError(
      { file: zipPath },
      `would inflate to ${totalBytes} bytes from a ${zip.fileSize}-byte zip, a ratio above the limit of ${limits.maxRatio}:1 (refused as a possible zip bomb)`,
    );
  }
  return checked;
}

function checkEntry(entry: Entry, name: string, limits: ZipLimits): ZipEntryInfo {
  const path = checkEntryPath(name);
  // On the decoded name: in GBK, 0x5C is also the second byte of many characters.
  const isDirectory = name.endsWith('/') || name.endsWith('\\');
  if (UNIX_HOSTS.has(entry.versionMadeBy >>> 8)) {
    const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
    if (type === S_IFLNK) throw new EntryProblem('is a symbolic link, which could point anywhere: refused');
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw new EntryProblem(`is a special file (mode ${type.toString(8)}), not a file or folder: refused`);
  }
  if (entry.isEncrypted()) throw new EntryProblem('is encrypted: deliver the data without a password');
  if (!isDirectory && entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new EntryProblem(
      `uses compression method ${entry.compressionMethod} (9 is Deflate64, 12 BZIP2, 14 LZMA); only stored and deflated entries can be read: zip it again with plain deflate`,
    );
  }
  const { compressedSize, uncompressedSize } = entry;
  if (uncompressedSize > limits.ratioGraceBytes && uncompressedSize > limits.maxRatio * compressedSize) {
    throw new EntryProblem(
      `would inflate ${compressedSize} bytes to ${uncompressedSize}, a ratio above the limit of ${limits.maxRatio}:1 (refused as a possible zip bomb)`,
    );
  }
  return { path, isDirectory, compressedBytes: compressedSize, uncompressedBytes: uncompressedSize };
}

/** Two entries for one path, or a file where another entry needs a folder, are refused. */
function claimPath(kinds: Map<string, 'file' | 'folder'>, info: ZipEntryInfo): void {
  const segments = info.path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const parent = segments.slice(0, i).join('/');
    if (kinds.get(parent) === 'file') throw new EntryProblem(`lies inside "${parent}", which the zip also holds as a file`);
    kinds.set(parent, 'folder');
  }
  const kind = info.isDirectory ? 'folder' : 'file';
  const known = kinds.get(info.path);
  if (known !== undefined && (known === 'file' || kind === 'file')) throw new EntryProblem(`appears twice in the zip (or as both a file and a folder)`);
  kinds.set(info.path, kind);
}

/** Creates `dir` if needed and checks it is empty; true when this call created it. */
async function prepareEmptyDir(dir: string): Promise<boolean> {
  const existing = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (existing === null) {
    await mkdir(dir, { recursive: true });
    return true;
  }
  if (existing.length > 0) throw new Error(`extractZip: ${dir} must be empty or not exist; it holds ${existing.length} entries`);
  return false;
}

async function emptyDir(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
}
