import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json. Code runs both from sources (tsx) and from `dist/`, so
 * bundled files (config, reference data) are found by walking up rather than by a fixed `..`.
 */
export const projectRoot: string = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no project root (package.json with config/) above ${start}`);
  }
}
