import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import { projectRoot } from '../core/project-root.js';
import { applyClassColours } from '../server/styles/class-colours.js';

/**
 * `npm run styles` (tsx scripts/build-styles.ts [--check]): writes the 三调 class colours from
 * data/reference/sandiao_classes.csv into the style files' marked fill layers. `--check` writes
 * nothing and exits 1 when a file is out of date.
 */
const STYLES_DIR = join(projectRoot, 'styles');

function main(): number {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const name of readdirSync(STYLES_DIR).filter((file) => file.endsWith('.json')).sort()) {
    const file = join(STYLES_DIR, name);
    const text = readFileSync(file, 'utf8');
    const built = `${JSON.stringify(applyClassColours(JSON.parse(text) as StyleSpecification), null, 2)}\n`;
    if (built === text) continue;
    stale += 1;
    if (check) console.error(`${file} is out of date: run npm run styles`);
    else {
      writeFileSync(file, built);
      console.log(`wrote ${file}`);
    }
  }
  return check && stale > 0 ? 1 : 0;
}

process.exitCode = main();
