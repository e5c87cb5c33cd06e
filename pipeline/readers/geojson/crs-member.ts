import { ImportError } from '../../../core/errors.js';
import type { CrsHint } from '../feature-source.js';

/**
 * Reads the legacy top-level `crs` member (GeoJSON 2008 §3; RFC 7946 §4 removed it, but
 * ogr2ogr, ArcGIS and QGIS still write it for data not in WGS 84, as Chinese deliveries in
 * CGCS2000 Gauss-Krüger zones are):
 *
 *   {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4527"}}   → { kind: 'name' }
 *   {"type": "EPSG", "properties": {"code": 4490}}                            → { kind: 'epsg' }
 *     (the 2007 draft form, still written by old OGR versions)
 *
 * Absent → null: the file declares nothing, and the caller applies RFC 7946 (WGS 84).
 * Anything else is refused rather than guessed: `"crs": null` means "no CRS can be assumed"
 * in GeoJSON 2008, which is not the same as WGS 84, and linked CRSs point outside the file.
 */
export function readCrsMember(value: unknown, file: string): CrsHint | null {
  if (value === undefined) return null;
  const where = { file };
  if (value === null) {
    throw new ImportError(where, 'its "crs" member is null, which GeoJSON 2008 defines as "no CRS can be assumed": state the CRS, or remove the member for WGS 84');
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ImportError(where, `its "crs" member is ${JSON.stringify(value)}, not an object such as {"type": "name", "properties": {"name": "EPSG:4490"}}`);
  }
  const { type, properties } = value as { type?: unknown; properties?: unknown };
  const props = (typeof properties === 'object' && properties !== null ? properties : {}) as Record<string, unknown>;
  if (type === 'name') {
    const name = props.name;
    if (typeof name === 'string' && name.trim() !== '') return { kind: 'name', name: name.trim() };
    throw new ImportError(where, `its "crs" member of type "name" has no properties.name string (found ${JSON.stringify(value)})`);
  }
  if (type === 'EPSG' || type === 'epsg') {
    const code = typeof props.code === 'string' ? Number(props.code) : props.code;
    if (typeof code === 'number' && Number.isInteger(code) && code > 0) return { kind: 'epsg', code };
    throw new ImportError(where, `its "crs" member of type "EPSG" has no positive integer properties.code (found ${JSON.stringify(value)})`);
  }
  if (type === 'link') {
    throw new ImportError(where, 'its "crs" member is a link to a CRS definition outside the file, which cannot be read: give the CRS by name (e.g. "EPSG:4527")');
  }
  throw new ImportError(where, `its "crs" member has type ${JSON.stringify(type)}; only "name" (and the legacy "EPSG") can be read`);
}
