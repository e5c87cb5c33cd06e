import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { ImportProgress } from '../import/import-dataset.js';

/** Files that belong to a Shapefile besides the .shp, read along with it. */
const SHAPEFILE_PARTS = new Set(['.shp', '.shx', '.dbf', '.prj', '.cpg']);

/**
 * The bytes each delivery file stands for, in the order given: a Shapefile counts with its
 * .shx, .dbf, .prj and .cpg, a FileGDB folder with everything inside it, any other file alone.
 * A file that has disappeared counts 0 (the import itself reports it).
 */
export async function deliveryBytes(files: readonly string[]): Promise<number[]> {
  return Promise.all(files.map((file) => bytesOf(file).catch(() => 0)));
}

async function bytesOf(file: string): Promise<number> {
  const info = await stat(file);
  if (info.isDirectory()) return folderBytes(file);
  if (extname(file).toLowerCase() !== '.shp') return info.size;
  const stem = basename(file, extname(file));
  const folder = dirname(file);
  let total = 0;
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const extension = extname(entry.name).toLowerCase();
    if (entry.isFile() && SHAPEFILE_PARTS.has(extension) && basename(entry.name, extname(entry.name)) === stem) {
      total += (await stat(join(folder, entry.name))).size;
    }
  }
  return total;
}

async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/**
 * How far into the file being read the import is, in bytes, when the file says how many features
 * it holds: features are about the same size, so the share read is the share of its bytes.
 */
export function bytesIntoFile(size: number | undefined, progress: Pick<ImportProgress, 'phase' | 'features' | 'fileFeatures'>): number {
  if (size === undefined || progress.phase !== 'read' || !progress.fileFeatures) return 0;
  return Math.round(size * Math.min(1, progress.features / progress.fileFeatures));
}
