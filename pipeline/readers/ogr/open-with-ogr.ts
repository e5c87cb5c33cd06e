import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImportError } from '../../../core/errors.js';
import type { FeatureSource } from '../feature-source.js';
import { openGeoJson } from '../geojson/open-geojson.js';

const run = promisify(execFile);

/** Formats read through GDAL rather than a reader of our own: Esri FileGDB, MapInfo, DXF. */
export const OGR_EXTENSIONS = ['.gdb', '.tab', '.mif', '.dxf'];

export interface OgrOptions {
  /** Names the file in messages (e.g. `archive.zip!/a.tab`); default: the path. */
  readonly label?: string;
  /** The layer to read when the source holds several. */
  readonly layer?: string;
  /** The environment to find ogr2ogr in; default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Opens a file in a format only GDAL reads, by converting it with ogr2ogr to a temporary
 * GeoJSON in the source's own CRS (RFC7946=NO keeps coordinates and writes the `crs` member;
 * 17 significant figures keep every double), then reading that with the GeoJSON reader. The
 * temporary file goes when the source is closed. Without GDAL, an ImportError says how to
 * install it.
 */
export async function openWithOgr(path: string, options: OgrOptions = {}): Promise<FeatureSource> {
  const label = options.label ?? path;
  const env = options.env ?? process.env;
  await checkInstalled(label, env);
  const layer = options.layer ?? (await singleLayer(path, label, env));
  const dir = await mkdtemp(join(tmpdir(), 'planmap-ogr-'));
  const converted = join(dir, 'converted.geojson');
  try {
    await run('ogr2ogr', ['-f', 'GeoJSON', '-lco', 'RFC7946=NO', '-lco', 'SIGNIFICANT_FIGURES=17', '-lco', 'WRITE_BBOX=NO', converted, path, layer], { env, maxBuffer: 1 << 20 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new ImportError({ file: label }, `GDAL could not read it: ${lastLine((error as { stderr?: string }).stderr ?? (error as Error).message)}`, { cause: error });
  }
  const source = await openGeoJson(converted, { label }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    file: label,
    crs: source.crs,
    fields: source.fields,
    featureCount: source.featureCount,
    features: (signal) => source.features(signal),
    close: async () => {
      await source.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function checkInstalled(label: string, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await run('ogr2ogr', ['--version'], { env });
  } catch (error) {
    throw new ImportError({ file: label }, 'reading this format needs GDAL\'s ogr2ogr, which is not installed: `apt-get install gdal-bin` (Debian/Ubuntu), or deliver Shapefile, GeoJSON or GeoPackage', { cause: error });
  }
}

/** The source's only layer; several layers need the dataset to name one. */
async function singleLayer(path: string, label: string, env: NodeJS.ProcessEnv): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run('ogrinfo', ['-ro', '-q', path], { env, maxBuffer: 1 << 20 }));
  } catch (error) {
    throw new ImportError({ file: label }, `GDAL could not open it: ${lastLine((error as { stderr?: string }).stderr ?? (error as Error).message)}`, { cause: error });
  }
  // ogrinfo -q lists "1: DLTB (Multi Polygon)" per layer.
  const layers = [...stdout.matchAll(/^\d+: (.+?)(?: \([^)]*\))?$/gm)].map((match) => match[1]!);
  if (layers.length === 1) return layers[0]!;
  if (layers.length === 0) throw new ImportError({ file: label }, 'GDAL finds no layer in it');
  throw new ImportError({ file: label }, `holds ${layers.length} layers (${layers.join(', ')}); deliver one layer per file`);
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? text;
}
