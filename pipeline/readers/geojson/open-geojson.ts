import { ImportError } from '../../../core/errors.js';
import type { CrsHint, FeatureSource, FieldInfo, SourceFeature } from '../feature-source.js';
import { checkFeature } from './check-feature.js';
import { readCrsMember } from './crs-member.js';
import { FieldSampler } from './infer-fields.js';
import { scanTopLevel, type TopLevelScan } from './scan-top-level.js';
import { streamFeatures } from './stream-features.js';

export interface GeoJsonOptions {
  /** Names the file in messages and as FeatureSource.file (e.g. `archive.zip!/a/b.geojson`); default: the path. */
  readonly label?: string;
  /** How many leading features are read at open to infer the fields (see infer-fields); default 1000. */
  readonly sampleFeatures?: number;
}

const DEFAULT_SAMPLE_FEATURES = 1000;

/**
 * Opens a GeoJSON FeatureCollection (RFC 7946, and the legacy `crs` member of GeoJSON 2008)
 * as a FeatureSource. Nothing is held in memory but one feature at a time.
 *
 * Opening scans the whole file at byte speed for the top-level `type`, `crs` and the shape of
 * `features`, wherever they are in the file (scan-top-level), then parses the first
 * `sampleFeatures` features to infer the fields. Each `features()` call parses the file again
 * from the start. Every problem is an ImportError naming the file, and the
 * feature and field where there is one; a truncated file is refused at open.
 */
export async function openGeoJson(path: string, options: GeoJsonOptions = {}): Promise<FeatureSource> {
  const file = options.label ?? path;
  const sampleFeatures = options.sampleFeatures ?? DEFAULT_SAMPLE_FEATURES;
  if (!Number.isInteger(sampleFeatures) || sampleFeatures < 1) {
    throw new RangeError(`sampleFeatures must be a positive integer, got ${sampleFeatures}`);
  }
  const scan = await scanTopLevel(path, file);
  checkFeatureCollection(scan, file);
  const crs = readCrsMember(scan.crs, file);
  const fields = await sampleFields(path, file, sampleFeatures);
  return new GeoJsonSource(path, file, crs, fields);
}

/** The fields of the first `count` features (see infer-fields); a bad feature among them fails the open. */
async function sampleFields(path: string, file: string, count: number): Promise<readonly FieldInfo[]> {
  const sampler = new FieldSampler();
  for await (const { index, value } of streamFeatures(path, file)) {
    sampler.add(checkFeature(value, index, file).properties);
    if (index === count) break;
  }
  return Object.freeze(sampler.fields());
}

class GeoJsonSource implements FeatureSource {
  /** Aborted by close(): stops any iteration still running. */
  private readonly closing = new AbortController();

  constructor(
    private readonly path: string,
    readonly file: string,
    readonly crs: CrsHint | null,
    readonly fields: readonly FieldInfo[],
  ) {}

  /** Only reading the whole file would tell. */
  readonly featureCount = null;

  async *features(signal?: AbortSignal): AsyncGenerator<SourceFeature> {
    const stop = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    stop.throwIfAborted();
    for await (const { index, value } of streamFeatures(this.path, this.file, stop)) {
      yield checkFeature(value, index, this.file);
      // The parser may have the next features buffered: check between features too.
      stop.throwIfAborted();
    }
  }

  async close(): Promise<void> {
    // An iteration cut off by close() must fail, never end as if the file had no more features.
    if (!this.closing.signal.aborted) this.closing.abort(new Error(`${this.file}: the feature source was closed`));
  }
}

const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection']);

/** Valid JSON that is not a FeatureCollection is refused with what it is instead. */
function checkFeatureCollection(scan: TopLevelScan, file: string): void {
  const where = { file };
  const { type } = scan;
  if (type === 'FeatureCollection') {
    if (scan.features === 'absent') throw new ImportError(where, 'is a FeatureCollection without a "features" member');
    if (scan.features === 'other') throw new ImportError(where, 'is a FeatureCollection whose "features" member is not an array');
    return;
  }
  if (type === 'Feature') throw new ImportError(where, 'holds a single GeoJSON Feature, not a FeatureCollection: wrap it in {"type": "FeatureCollection", "features": [...]}');
  if (typeof type === 'string' && GEOMETRY_TYPES.has(type)) {
    throw new ImportError(where, `holds a bare GeoJSON ${type} geometry, not a FeatureCollection of features with attributes`);
  }
  if (type !== undefined) throw new ImportError(where, `has "type": ${JSON.stringify(type)}; a GeoJSON FeatureCollection was expected`);
  // Esri JSON (ArcGIS "Features To JSON") looks close, and is a common mistake in deliveries.
  if (scan.keys.includes('geometryType') || scan.keys.includes('spatialReference')) {
    throw new ImportError(where, 'is Esri JSON (it has geometryType/spatialReference), not GeoJSON: export it as GeoJSON (ArcGIS: "Features To JSON" with the GeoJSON option)');
  }
  const members = scan.keys.length === 0 ? 'no members' : `the members ${scan.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  throw new ImportError(where, `is a JSON object with ${members} but no "type": a GeoJSON FeatureCollection was expected`);
}
