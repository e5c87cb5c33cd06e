import { gaussKrugerBySrid, type GaussKrugerCrs } from './cgcs2000-gauss-kruger.js';

/**
 * The CRSs a delivery may be in. Everything is stored in CGCS2000 (EPSG:4490); PostGIS does
 * the transformation, with spatial_ref_sys as the authority.
 *
 * WGS 84 longitude/latitude (EPSG:4326, and OGC CRS84, GeoJSON's only CRS under RFC 7946) is
 * accepted and kept as 4326: PostGIS (PROJ) transforms it to CGCS2000 as a no-op, and the two
 * agree to within a metre or so in China (CGCS2000 is ITRF97 at epoch 2000.0; WGS 84 follows
 * ITRF at the epoch of the data), which is below what a 1:10 000 map shows (0.5 mm = 5 m).
 * Refusing it would only make people relabel WGS 84 data as CGCS2000 by hand.
 */

export const SRID_CGCS2000 = 4490;
export const SRID_WGS84 = 4326;

export type SupportedCrs =
  | { readonly kind: 'geographic'; readonly srid: number; readonly name: string }
  | ({ readonly kind: 'gauss-kruger' } & GaussKrugerCrs);

const GEOGRAPHIC: Readonly<Record<number, string>> = {
  [SRID_CGCS2000]: 'China Geodetic Coordinate System 2000',
  [SRID_WGS84]: 'WGS 84',
};

export function supportedCrs(srid: number): SupportedCrs | undefined {
  const name = GEOGRAPHIC[srid];
  if (name !== undefined) return { kind: 'geographic', srid, name };
  const gaussKruger = gaussKrugerBySrid(srid);
  return gaussKruger ? { kind: 'gauss-kruger', ...gaussKruger } : undefined;
}

/** `EPSG:4527 (CGCS2000 / 3-degree Gauss-Kruger zone 39)`, or just `EPSG:n` for others. */
export function describeSrid(srid: number): string {
  const crs = supportedCrs(srid);
  return crs ? `EPSG:${srid} (${crs.name})` : `EPSG:${srid}`;
}

/** For messages that refuse a CRS: what would have been accepted, and the way out. */
export const SUPPORTED_CRS_TEXT =
  'supported are CGCS2000 longitude/latitude (EPSG:4490), WGS 84 longitude/latitude (EPSG:4326, CRS84) ' +
  'and the CGCS2000 Gauss-Kruger projections EPSG:4491–4554 (3° and 6° zones, with or without the zone number ' +
  'in front of the easting); if the file is mislabelled, set source.srid in the dataset config';
