import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, relative, sep } from 'node:path';
import type { DatasetConfig } from '../../core/config/schema.js';
import { ImportError } from '../../core/errors.js';
import { resolveCrs } from '../crs/detect-crs.js';
import type { FeatureSource, SourceFeature } from '../readers/feature-source.js';
import { openGeoJson } from '../readers/geojson/open-geojson.js';
import { openGeoPackage } from '../readers/geopackage/open-geopackage.js';
import { OGR_EXTENSIONS, openWithOgr } from '../readers/ogr/open-with-ogr.js';
import { openShapefile } from '../readers/shapefile/open-shapefile.js';
import { extractZip, zipEntryLabel } from '../readers/zip/open-zip.js';
import { findDatasetFiles, type DatasetFormat } from '../readers/zip/find-dataset-files.js';

/** A delivery file opened for loading, with the EPSG code its coordinates are in. */
export interface OpenedSource {
  readonly source: FeatureSource;
  readonly srid: number;
}

const FORMAT_BY_EXTENSION: Readonly<Record<string, DatasetFormat | 'zip' | 'ogr'>> = {
  '.shp': 'shapefile',
  '.geojson': 'geojson',
  '.json': 'geojson',
  '.gpkg': 'geopackage',
  '.zip': 'zip',
  ...Object.fromEntries(OGR_EXTENSIONS.map((extension) => [extension, 'ogr'])),
};

/**
 * Opens one file of a delivery: a Shapefile, GeoJSON or GeoPackage directly, or every such
 * file inside a zip (extracted with the zip reader's path-traversal and size limits into a
 * temporary folder that is removed afterwards). Each source's CRS is resolved from the file or
 * the dataset's `source.srid`. The caller closes each source.
 */
export async function* openDelivery(file: string, dataset: DatasetConfig): AsyncGenerator<OpenedSource> {
  const format = FORMAT_BY_EXTENSION[extname(file).toLowerCase()];
  if (!format) throw new ImportError({ file }, 'is not a Shapefile (.shp), GeoJSON (.geojson/.json), GeoPackage (.gpkg), zip, or a format GDAL reads (.gdb, .tab, .mif, .dxf)');
  const wanted = dataset.source?.format ?? 'auto';
  if (format !== 'zip' && format !== 'ogr' && wanted !== 'auto' && wanted !== 'zip' && wanted !== (format === 'geopackage' ? 'gpkg' : format)) {
    throw new ImportError({ file }, `is ${format}, but dataset "${dataset.id}" expects ${wanted}`);
  }
  if (format === 'ogr') {
    yield await withCrs(await openWithOgr(file, dataset.source?.layer ? { layer: dataset.source.layer } : {}), file, dataset);
    return;
  }
  if (format !== 'zip') {
    yield await openOne(file, format, file, dataset);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'planmap-delivery-'));
  try {
    await extractZip(file, dir);
    const inner = await findDatasetFiles(dir, file);
    if (inner.length === 0) throw new ImportError({ file }, 'holds no .shp, .geojson, .json or .gpkg file');
    for (const entry of inner) {
      const opened = await relabelErrors(dir, file, () => openOne(entry.path, entry.format, entry.label, dataset));
      yield { srid: opened.srid, source: relabelSource(opened.source, dir, file) };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function openOne(path: string, format: DatasetFormat, label: string, dataset: DatasetConfig): Promise<OpenedSource> {
  let source: FeatureSource;
  switch (format) {
    case 'shapefile':
      source = await openShapefile(path, { encoding: dataset.source?.encoding });
      break;
    case 'geojson':
      source = await openGeoJson(path, { label });
      break;
    case 'geopackage':
      source = await openGeoPackage(path, { label, ...(dataset.source?.layer ? { table: dataset.source.layer } : {}) });
      break;
  }
  return withCrs(source, label, dataset);
}

async function withCrs(source: FeatureSource, label: string, dataset: DatasetConfig): Promise<OpenedSource> {
  try {
    const crs = resolveCrs(source.crs, dataset.source?.srid === undefined ? undefined : { srid: dataset.source.srid }, { file: label });
    return { source, srid: crs.srid };
  } catch (error) {
    await source.close();
    throw error;
  }
}

/** Errors of files extracted from a zip name them as `archive.zip!/inner/path`, not the temporary folder. */
function relabel(error: unknown, dir: string, zipPath: string): unknown {
  if (!(error instanceof ImportError) || !error.file.startsWith(dir + sep)) return error;
  const inner = relative(dir, error.file).split(sep).join('/');
  return new ImportError({ file: zipEntryLabel(zipPath, inner), feature: error.feature, field: error.field }, error.problem, { cause: error });
}

async function relabelErrors<T>(dir: string, zipPath: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw relabel(error, dir, zipPath);
  }
}

function relabelSource(source: FeatureSource, dir: string, zipPath: string): FeatureSource {
  const file = source.file.startsWith(dir + sep) ? zipEntryLabel(zipPath, relative(dir, source.file).split(sep).join('/')) : source.file;
  return {
    file,
    crs: source.crs,
    fields: source.fields,
    featureCount: source.featureCount,
    close: () => source.close(),
    async *features(signal?: AbortSignal): AsyncGenerator<SourceFeature> {
      try {
        yield* source.features(signal);
      } catch (error) {
        throw relabel(error, dir, zipPath);
      }
    },
  };
}
