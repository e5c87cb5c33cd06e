import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { projectRoot } from '../project-root.js';

/**
 * Land-use classes of the Third National Land Survey (TD/T 1055-2019 附录A), with the
 * de-facto standard class colours. Source and caveats: data/reference/SOURCES.md.
 */
export interface LandUseClass {
  /** DLBM, e.g. `0101`, `05H1`, `1104K`. Two characters for a level-1 class. */
  readonly code: string;
  /** DLMC, e.g. 水田. */
  readonly name: string;
  readonly level1Code: string;
  readonly level1Name: string;
  /** [r, g, b], or null where the sources give only a hatch symbol (0603) or no level-1 fill. */
  readonly rgb: readonly [number, number, number] | null;
}

export const SANDIAO_CLASSES_FILE = join(projectRoot, 'data', 'reference', 'sandiao_classes.csv');

interface CsvRow {
  code: string;
  name: string;
  level1_code: string;
  level1_name: string;
  r: string;
  g: string;
  b: string;
}

export function loadSandiaoClasses(file = SANDIAO_CLASSES_FILE): ReadonlyMap<string, LandUseClass> {
  const rows = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as CsvRow[];
  const classes = new Map<string, LandUseClass>();
  rows.forEach((row, i) => {
    const hasColour = row.r !== '' && row.g !== '' && row.b !== '';
    const rgb = hasColour ? ([Number(row.r), Number(row.g), Number(row.b)] as const) : null;
    if (!row.code || !row.name || (rgb && rgb.some((c) => !Number.isInteger(c) || c < 0 || c > 255))) {
      throw new Error(`${file}: row ${i + 2} is not a valid class (code "${row.code}")`);
    }
    classes.set(row.code, { code: row.code, name: row.name, level1Code: row.level1_code, level1Name: row.level1_name, rgb });
  });
  return classes;
}
