import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import type { AppConfig } from '../../core/config/load-config.js';
import type { DatasetConfig } from '../../core/config/schema.js';
import { ImportError } from '../../core/errors.js';
import { projectRoot } from '../../core/project-root.js';

/** Extensions the importer opens; other files of a delivery (.shx, .dbf, .prj, .cpg...) come along. */
const DATASET_EXTENSIONS = ['shp', 'geojson', 'json', 'gpkg', 'zip', 'tab', 'mif', 'dxf'];
/** An Esri file geodatabase is a folder `name.gdb/` of many files; it is imported as one. */
const FILE_GEODATABASE = /^(.*?\.gdb)[\\/]/i;

/**
 * The files of a dataset's delivery: its `source.path` (a file, a folder or a glob) under one of
 * the configured import roots, sorted. Anything that would leave the roots (an absolute path,
 * `..`, a symbolic link pointing elsewhere) is refused; nothing outside them is ever opened.
 */
export async function resolveSourceFiles(config: AppConfig, dataset: DatasetConfig): Promise<string[]> {
  const pattern = dataset.source?.path;
  if (!pattern) throw new ImportError({ file: config.configFile }, `dataset "${dataset.id}" has no source.path to import from`);
  if (isAbsolute(pattern) || pattern.split(/[\\/]/).includes('..')) {
    throw new ImportError({ file: pattern }, `source path of dataset "${dataset.id}" must be relative to an import root (${config.pipeline.importRoots.join(', ')}), without ".."`);
  }
  const found: string[] = [];
  for (const root of config.pipeline.importRoots.map((entry) => resolve(projectRoot, entry))) {
    const rootReal = await realpath(root).catch(() => null);
    if (!rootReal) continue;
    for (const file of await expand(root, pattern)) {
      const real = await realpath(file);
      const inside = relative(rootReal, real);
      if (inside.startsWith('..') || isAbsolute(inside)) {
        throw new ImportError({ file }, `resolves to ${real}, outside the import root ${rootReal}`);
      }
      found.push(file);
    }
  }
  if (found.length === 0) {
    throw new ImportError({ file: pattern }, `no .shp, .geojson, .gpkg, .zip, .gdb, .tab, .mif or .dxf matches source.path of dataset "${dataset.id}" under ${config.pipeline.importRoots.join(', ')}`);
  }
  return [...new Set(found)].sort();
}

async function expand(root: string, pattern: string): Promise<string[]> {
  const direct = join(root, pattern);
  const info = await stat(direct).catch(() => null);
  const globPattern = info?.isDirectory() ? `${pattern.replace(/[\\/]+$/, '')}/**/*` : pattern;
  const matches = info?.isFile() ? [direct] : await glob(globPattern, { cwd: root, absolute: true, onlyFiles: true, followSymbolicLinks: false });
  const files = new Set<string>();
  for (const match of matches) {
    const geodatabase = FILE_GEODATABASE.exec(match);
    if (geodatabase) files.add(geodatabase[1]!);
    else if (DATASET_EXTENSIONS.includes(match.split('.').pop()!.toLowerCase())) files.add(match);
  }
  return [...files].map((file) => file.split('/').join(sep));
}
