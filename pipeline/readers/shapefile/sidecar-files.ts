import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { ImportError } from '../../../core/errors.js';

/** The files of one shapefile: the .shp with the same-named files beside it. */
export interface ShapefileFiles {
  readonly shp: string;
  readonly shx: string;
  readonly dbf: string;
  readonly prj: string | null;
  readonly cpg: string | null;
}

/**
 * Finds the files beside a .shp. Deliveries made on Windows mix cases (`DLTB.shp` with
 * `DLTB.DBF`), so names match case-insensitively, an exact-case match first. A missing .shx or
 * .dbf is an ImportError naming the file that should be there.
 */
export async function findShapefileFiles(shp: string): Promise<ShapefileFiles> {
  const extension = extname(shp);
  if (extension.toLowerCase() !== '.shp') throw new ImportError({ file: shp }, 'is not a .shp file');
  const directory = dirname(shp);
  const stem = basename(shp, extension);
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (cause) {
    throw new ImportError({ file: shp }, 'cannot be read: its folder does not exist or is not readable', { cause });
  }
  const find = (suffix: string): string | null => {
    const wanted = `${stem}.${suffix}`;
    const name = entries.includes(wanted) ? wanted : entries.find((entry) => entry.toLowerCase() === wanted.toLowerCase());
    return name === undefined ? null : join(directory, name);
  };
  const required = (suffix: string, what: string): string => {
    const file = find(suffix);
    if (file === null) throw new ImportError({ file: join(directory, `${stem}.${suffix}`) }, `is missing: a shapefile needs its ${what} beside the .shp`);
    return file;
  };
  if (!entries.includes(basename(shp))) throw new ImportError({ file: shp }, 'does not exist');
  return { shp, shx: required('shx', 'index (.shx)'), dbf: required('dbf', 'attribute table (.dbf)'), prj: find('prj'), cpg: find('cpg') };
}
