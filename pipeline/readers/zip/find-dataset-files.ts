import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { zipEntryLabel } from './open-zip.js';

export type DatasetFormat = 'shapefile' | 'geojson' | 'geopackage';

export interface DatasetFile {
  /** Where the file is on disk. */
  readonly path: string;
  /** How messages name it: `archive.zip!/inner/path.shp` inside a zip, else the path. */
  readonly label: string;
  readonly format: DatasetFormat;
}

/** Extensions, lower-cased, of the files a delivery can be imported from. */
const FORMATS: ReadonlyMap<string, DatasetFormat> = new Map([
  ['.shp', 'shapefile'],
  ['.geojson', 'geojson'],
  ['.json', 'geojson'],
  ['.gpkg', 'geopackage'],
]);

/**
 * The importable files under `dir`, in any folder depth, sorted by their path inside `dir` in
 * JavaScript string order (by UTF-16 code unit: the same on every machine, unlike a locale's).
 * Extensions are matched in any case: Windows tools write `.SHP`. Skipped: macOS's `__MACOSX/`
 * folders and `._*` AppleDouble files (zips made in Finder hold a `._土地.shp` beside every
 * `土地.shp`, which is no shapefile), and symbolic links, which are not followed. A `.json`
 * that is not GeoJSON is listed, and its reader says what it is.
 *
 * `zipPath`, for a folder a zip was extracted into, makes labels `zipPath!/inner/path`.
 */
export async function findDatasetFiles(dir: string, zipPath?: string): Promise<DatasetFile[]> {
  const found: { inner: string; format: DatasetFormat }[] = [];
  await walk(dir, '', found);
  found.sort((a, b) => (a.inner < b.inner ? -1 : a.inner > b.inner ? 1 : 0));
  return found.map(({ inner, format }) => ({
    path: join(dir, ...inner.split('/')),
    label: zipPath === undefined ? join(dir, ...inner.split('/')) : zipEntryLabel(zipPath, inner),
    format,
  }));
}

async function walk(dir: string, prefix: string, found: { inner: string; format: DatasetFormat }[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const inner = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== '__MACOSX') await walk(join(dir, entry.name), inner, found);
      continue;
    }
    if (!entry.isFile() || entry.name.startsWith('._')) continue;
    const dot = entry.name.lastIndexOf('.');
    const format = dot > 0 ? FORMATS.get(entry.name.slice(dot).toLowerCase()) : undefined;
    if (format !== undefined) found.push({ inner, format });
  }
}
