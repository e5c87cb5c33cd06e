/**
 * Reads a CRS name as GeoJSON's legacy `crs` member and web services write it, in the forms
 * of OGC 07-092r3 (URN), OGC 09-048r5 (http URI) and the plain `EPSG:n` of GeoJSON 2008:
 *
 *   urn:ogc:def:crs:EPSG::4527            urn:ogc:def:crs:EPSG:9.9.1:4527   urn:x-ogc:def:crs:EPSG:4527
 *   http://www.opengis.net/def/crs/EPSG/0/4527                              EPSG:4527
 *   urn:ogc:def:crs:OGC:1.3:CRS84         http://www.opengis.net/def/crs/OGC/1.3/CRS84
 *
 * OGC CRS84 is WGS 84 longitude/latitude, the CRS of RFC 7946: it becomes EPSG:4326.
 * EPSG:4326 and EPSG:4490 are latitude-first by their definitions, but GeoJSON writers put
 * longitude first whatever the name says; `check-coordinates.ts` catches a file that did not.
 */

/** An EPSG code, or undefined when the name is not one of the forms above. */
export function epsgCodeOfName(name: string): number | undefined {
  const text = name.trim();
  if (CRS84.some((pattern) => pattern.test(text))) return CRS84_SRID;
  for (const pattern of EPSG) {
    const code = pattern.exec(text)?.[1];
    if (code !== undefined) return Number(code);
  }
  return undefined;
}

const CRS84_SRID = 4326;

const CRS84 = [
  /^urn:(x-)?ogc:def:crs:OGC:[^:]*:CRS84$/i,
  /^https?:\/\/www\.opengis\.net\/def\/crs\/OGC\/[^/]+\/CRS84$/i,
  /^(OGC:)?CRS84$/i,
];

const EPSG = [
  /^urn:(?:x-)?ogc:def:crs:EPSG:[^:]*:(\d{4,6})$/i,
  /^urn:x-ogc:def:crs:EPSG:(\d{4,6})$/i,
  /^https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/[^/]+\/(\d{4,6})$/i,
  /^EPSG:{1,2}(\d{4,6})$/i,
];
