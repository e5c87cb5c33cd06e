import { ImportError } from '../../../core/errors.js';
import type { Geometry } from 'geojson';
import type { SourceFeature } from '../feature-source.js';
import { checkGeometry, GeometryProblem } from './check-geometry.js';
import { describe, isPlainObject } from './describe-value.js';
import { PropertyProblem, readProperties } from './read-properties.js';

/**
 * One element of a FeatureCollection's `features` array as a SourceFeature, checked against
 * RFC 7946 §3.2: an object with "type": "Feature" and a `geometry` member (null allowed, but
 * the member is required, so that a misspelt `geom` is not read as "no geometry").
 * `index` is 1-based. The Feature's `id` and foreign members are not passed on.
 */
export function checkFeature(value: unknown, index: number, file: string): SourceFeature {
  if (!isPlainObject(value)) throw new ImportError({ file, feature: index }, `is ${describe(value)}, not a GeoJSON Feature object`);
  if (value.type !== 'Feature') {
    const found = value.type === undefined ? 'has no "type" member' : `has type ${JSON.stringify(value.type)}`;
    throw new ImportError({ file, feature: index }, `${found}; a FeatureCollection holds objects with "type": "Feature"`);
  }
  if (!Object.hasOwn(value, 'geometry')) {
    throw new ImportError({ file, feature: index, field: 'geometry' }, 'has no "geometry" member (RFC 7946 §3.2 requires it; null when the feature has no geometry)');
  }
  let geometry: Geometry | null = null;
  if (value.geometry !== null) {
    try {
      geometry = checkGeometry(value.geometry);
    } catch (error) {
      if (!(error instanceof GeometryProblem)) throw error;
      throw new ImportError({ file, feature: index, field: 'geometry' }, error.message);
    }
  }
  try {
    return { index, properties: readProperties(value.properties), geometry };
  } catch (error) {
    if (!(error instanceof PropertyProblem)) throw error;
    throw new ImportError({ file, feature: index, field: error.field ?? 'properties' }, error.message);
  }
}
