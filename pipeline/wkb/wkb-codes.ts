/**
 * Geometry type codes of Well-Known Binary (OGC 06-103r4 §8.2.3) and the flag bits PostGIS's
 * Extended WKB adds to them: what the GeoPackage reader (pipeline/readers/geopackage) reads and
 * the COPY of the import (pipeline/load/hex-ewkb.ts) writes.
 */
export const WKB_POINT = 1;
export const WKB_LINESTRING = 2;
export const WKB_POLYGON = 3;
export const WKB_MULTIPOINT = 4;
export const WKB_MULTILINESTRING = 5;
export const WKB_MULTIPOLYGON = 6;
export const WKB_GEOMETRYCOLLECTION = 7;

/** EWKB: the geometry has a Z value per position. */
export const EWKB_Z = 0x80000000;
/** EWKB: the geometry has an M value per position. */
export const EWKB_M = 0x40000000;
/** EWKB: an SRID (uint32) follows the type code. */
export const EWKB_SRID = 0x20000000;
