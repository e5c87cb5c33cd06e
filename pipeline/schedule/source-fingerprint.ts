import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { AppConfig } from '../../core/config/load-config.js';
import { ImportError } from '../../core/errors.js';
import { projectRoot } from '../../core/project-root.js';

/**
 * The content fingerprint of a delivery: what the scheduler compares with the last import to
 * decide whether there is anything new. It covers every byte the importer may read, so a
 * corrected .dbf beside an unchanged .shp is a change, and a file merely touched or copied
 * again (new modification time, same bytes) is not.
 */
export interface SourceFingerprint {
  /** `sha256:<hex>` over the members' names, sizes and content hashes, in name order. */
  readonly fingerprint: string;
  readonly files: readonly FingerprintedFile[];
}

export interface FingerprintedFile {
  /** Relative to the import root it was found under (`/`-separated), as recorded in the job. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

interface CachedHash {
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ino: bigint;
  readonly sha256: string;
}

/**
 * Content hashes of files whose size, modification time (ns) and inode have not moved since
 * they were last hashed: a scheduler checking a multi-gigabyte delivery every few minutes
 * reads it once, not on every tick. A replaced file (new inode) or rewritten one (new mtime)
 * is hashed again.
 */
export class FileHashCache {
  private readonly entries = new Map<string, CachedHash>();
  /** Files hashed (not served from the cache) since creation; lets tests see the pre-check work. */
  hashedFiles = 0;

  async sha256(file: string): Promise<{ bytes: number; sha256: string }> {
    const info = await statMember(file);
    const cached = this.entries.get(file);
    if (cached && cached.size === info.size && cached.mtimeNs === info.mtimeNs && cached.ino === info.ino) {
      return { bytes: Number(info.size), sha256: cached.sha256 };
    }
    const sha256 = await hashFile(file);
    this.hashedFiles += 1;
    this.entries.set(file, { size: info.size, mtimeNs: info.mtimeNs, ino: info.ino, sha256 });
    return { bytes: Number(info.size), sha256 };
  }
}

/**
 * Fingerprints the files `resolveSourceFiles` found for a dataset, with everything that belongs
 * to each: the same-named files beside it (a Shapefile's .dbf/.shx/.prj/.cpg, a MapInfo .tab's
 * .dat/.map/.id) and every file inside an Esri .gdb folder. A file that vanishes meanwhile is an
 * ImportError naming it.
 */
export async function fingerprintSourceFiles(config: AppConfig, files: readonly string[], cache: FileHashCache = new FileHashCache()): Promise<SourceFingerprint> {
  const members = new Set<string>();
  for (const file of files) for (const member of await membersOf(file)) members.add(member);
  const roots = config.pipeline.importRoots.map((root) => resolve(projectRoot, root));
  const named = [...members].map((file) => ({ file, path: nameUnderRoot(roots, file) })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const combined = createHash('sha256');
  const fingerprinted: FingerprintedFile[] = [];
  for (const { file, path } of named) {
    const { bytes, sha256 } = await cache.sha256(file);
    combined.update(`${path}\0${bytes}\0${sha256}\n`);
    fingerprinted.push({ path, bytes, sha256 });
  }
  return { fingerprint: `sha256:${combined.digest('hex')}`, files: fingerprinted };
}

async function membersOf(file: string): Promise<string[]> {
  const info = await stat(file).catch((cause: unknown) => {
    throw new ImportError({ file }, 'disappeared while the delivery was being checked', { cause });
  });
  if (info.isDirectory()) return filesUnder(file);
  const directory = dirname(file);
  const stem = basename(file, extname(file)).toLowerCase();
  const entries = await readdir(directory, { withFileTypes: true }).catch((cause: unknown) => {
    throw new ImportError({ file }, 'its folder disappeared while the delivery was being checked', { cause });
  });
  // `DLTB.shp` brings `DLTB.dbf`, `DLTB.DBF`, `DLTB.shp.xml`...; but not `DLTB_2.shp`.
  return entries
    .filter((entry) => entry.isFile() && (entry.name.toLowerCase() === basename(file).toLowerCase() || entry.name.toLowerCase().startsWith(`${stem}.`)))
    .map((entry) => join(directory, entry.name));
}

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

function nameUnderRoot(roots: readonly string[], file: string): string {
  for (const root of roots) {
    const inside = relative(root, file);
    if (!inside.startsWith('..') && !isAbsolute(inside)) return inside.split(sep).join('/');
  }
  return file.split(sep).join('/');
}

async function statMember(file: string): Promise<{ size: bigint; mtimeNs: bigint; ino: bigint }> {
  try {
    const info = await stat(file, { bigint: true });
    return { size: info.size, mtimeNs: info.mtimeNs, ino: info.ino };
  } catch (cause) {
    throw new ImportError({ file }, 'disappeared while the delivery was being checked', { cause });
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (cause) {
    throw new ImportError({ file }, 'could not be read while the delivery was being checked', { cause });
  }
  return hash.digest('hex');
}
