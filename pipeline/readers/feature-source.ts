import type { Geometry } from 'geojson';

/**
 * The seam between file formats and the loader: every reader (Shapefile, GeoJSON, GeoPackage,
 * zip, ogr2ogr) opens a file as a FeatureSource, and the loader only ever sees this.
 * Readers stream: memory does not grow with the file's size.
 */

export type AttributeValue = string | number | boolean | null;

/** An attribute column as the file declares it. */
export interface FieldInfo {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
}

/** What the file says about its coordinate reference system, before any interpretation. */
export type CrsHint =
  /** WKT from a .prj (ESRI or OGC flavour) or a GeoPackage srs definition. */
  | { readonly kind: 'wkt'; readonly wkt: string }
  /** An EPSG code stated by the file (GeoPackage srs_id with organization EPSG). */
  | { readonly kind: 'epsg'; readonly code: number }
  /** A GeoJSON `crs` member's name, e.g. `urn:ogc:def:crs:EPSG::4490` or `EPSG:4527`. */
  | { readonly kind: 'name'; readonly name: string };

export interface SourceFeature {
  /** 1-based position of the feature in its file, for messages. */
  readonly index: number;
  readonly properties: Readonly<Record<string, AttributeValue>>;
  /** Geometry in the file's own CRS, axis order x = easting/longitude, y = northing/latitude; null when the record has none. */
  readonly geometry: Geometry | null;
}

export interface FeatureSource {
  /** The path the features come from (inside a zip: `archive.zip!/inner/path.shp`). */
  readonly file: string;
  /** The CRS the file declares, or null when it declares none. */
  readonly crs: CrsHint | null;
  readonly fields: readonly FieldInfo[];
  /**
   * How many features the file says it holds, known without reading them (a Shapefile's .shx,
   * a GeoPackage table's row count), for progress and an ETA; null when only reading tells
   * (GeoJSON). Records a Shapefile marks deleted are counted, so it is an upper bound there.
   */
  readonly featureCount: number | null;
  /**
   * The features, once, in file order. Throws ImportError (naming file, feature and field) on
   * a record that cannot be read; aborting `signal` stops the iteration.
   */
  features(signal?: AbortSignal): AsyncIterable<SourceFeature>;
  /** Releases file handles; safe to call more than once. */
  close(): Promise<void>;
}
