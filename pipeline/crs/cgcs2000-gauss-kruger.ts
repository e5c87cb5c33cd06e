/**
 * The 64 CGCS2000 Gauss-Kruger projected CRSs of the EPSG dataset (EPSG:4491–4554), computed
 * from the zone rules rather than typed out; `test/pipeline/crs/cgcs2000-gauss-kruger.test.ts`
 * checks every one against PostGIS's spatial_ref_sys (central meridian, false easting, name).
 *
 * All are transverse Mercator on the CGCS2000 ellipsoid with scale factor 1, latitude of origin 0
 * and false northing 0 (GB/T 20257). They differ in zone width and in whether the easting carries
 * the zone number in front ("prefixed": false easting = zone × 1 000 000 + 500 000):
 *
 * | EPSG      | zones  | central meridians      | false easting          |
 * | 4491–4501 | 6°     | zone 13–23: 6·zone − 3 | zone × 10⁶ + 500 000   |
 * | 4502–4512 | 6°     | 75°E–135°E every 6°    | 500 000                |
 * | 4513–4533 | 3°     | zone 25–45: 3·zone     | zone × 10⁶ + 500 000   |
 * | 4534–4554 | 3°     | 75°E–135°E every 3°    | 500 000                |
 *
 * Six-degree central meridians (75, 81, ... 135) are odd multiples of 3, so each is also a
 * three-degree one: EPSG:4509 (6°, CM 117E) and EPSG:4548 (3°, CM 117E) have identical
 * parameters and give identical coordinates; only the nominal zone width differs. Prefixed zone
 * numbers never collide (13–23 against 25–45), so a prefix alone names its CRS.
 */

export type ZoneWidthDegrees = 3 | 6;

export interface GaussKrugerCrs {
  readonly srid: number;
  readonly zoneWidthDegrees: ZoneWidthDegrees;
  /** The zone number (6°: 13–23, 3°: 25–45), also for the CRSs that do not prefix it. */
  readonly zone: number;
  /** Degrees east. */
  readonly centralMeridian: number;
  /** Metres: 500 000, or with the zone number in front (39 500 000 for 3° zone 39). */
  readonly falseEasting: number;
  readonly hasZonePrefix: boolean;
  /** The EPSG name, e.g. `CGCS2000 / 3-degree Gauss-Kruger zone 39`. */
  readonly name: string;
}

/** Where each family starts in the EPSG code range, and its first zone. */
const FAMILIES = [
  { firstSrid: 4491, width: 6, firstZone: 13, lastZone: 23, hasZonePrefix: true },
  { firstSrid: 4502, width: 6, firstZone: 13, lastZone: 23, hasZonePrefix: false },
  { firstSrid: 4513, width: 3, firstZone: 25, lastZone: 45, hasZonePrefix: true },
  { firstSrid: 4534, width: 3, firstZone: 25, lastZone: 45, hasZonePrefix: false },
] as const;

const ZONE_PREFIX_FACTOR = 1_000_000;
const BASE_FALSE_EASTING = 500_000;

function buildTable(): readonly GaussKrugerCrs[] {
  const table: GaussKrugerCrs[] = [];
  for (const family of FAMILIES) {
    for (let zone = family.firstZone; zone <= family.lastZone; zone++) {
      const centralMeridian = family.width === 6 ? 6 * zone - 3 : 3 * zone;
      const prefix = family.width === 3 ? '3-degree ' : '';
      table.push(Object.freeze({
        srid: family.firstSrid + zone - family.firstZone,
        zoneWidthDegrees: family.width,
        zone,
        centralMeridian,
        falseEasting: family.hasZonePrefix ? zone * ZONE_PREFIX_FACTOR + BASE_FALSE_EASTING : BASE_FALSE_EASTING,
        hasZonePrefix: family.hasZonePrefix,
        name: `CGCS2000 / ${prefix}Gauss-Kruger ${family.hasZonePrefix ? `zone ${zone}` : `CM ${centralMeridian}E`}`,
      }));
    }
  }
  return Object.freeze(table);
}

const TABLE = buildTable();

export const GAUSS_KRUGER_CRSS: readonly GaussKrugerCrs[] = TABLE;

export function gaussKrugerBySrid(srid: number): GaussKrugerCrs | undefined {
  return TABLE.find((crs) => crs.srid === srid);
}

/** The prefixed CRS whose eastings start with `zone` (13–23: 6°, 25–45: 3°). */
export function gaussKrugerByZonePrefix(zone: number): GaussKrugerCrs | undefined {
  return TABLE.find((crs) => crs.hasZonePrefix && crs.zone === zone);
}

/** The unprefixed CRS with this central meridian and zone width. */
export function gaussKrugerWithoutPrefix(centralMeridian: number, width: ZoneWidthDegrees): GaussKrugerCrs | undefined {
  return TABLE.find((crs) => !crs.hasZonePrefix && crs.zoneWidthDegrees === width && crs.centralMeridian === centralMeridian);
}

/** The same zone with the prefix toggled: 4527 (zone 39) ↔ 4548 (CM 117E). */
export function gaussKrugerTwin(crs: GaussKrugerCrs): GaussKrugerCrs {
  const twin = TABLE.find((other) => other.hasZonePrefix !== crs.hasZonePrefix && other.zoneWidthDegrees === crs.zoneWidthDegrees && other.zone === crs.zone);
  if (!twin) throw new Error(`no twin of EPSG:${crs.srid}`); // every family has the same zones
  return twin;
}

/** The zone number a prefixed easting carries (39 for 39 470 000); may name no zone at all. */
export function zonePrefixOf(easting: number): number {
  return Math.floor(easting / ZONE_PREFIX_FACTOR);
}

/** Either a CRS, or why the parameters match none. */
export type GaussKrugerMatch = { readonly crs: GaussKrugerCrs } | { readonly problem: string };

/**
 * The CRS with these projection parameters. A central meridian shared by a 3° and a 6° zone
 * without prefix is settled by `name` (see `zoneWidthFromName`); the two are the same
 * projection, so a wrong guess changes only the zone width the coordinate check allows.
 */
export function matchGaussKruger(centralMeridian: number, falseEasting: number, name: string): GaussKrugerMatch {
  if (isClose(falseEasting, BASE_FALSE_EASTING)) {
    const candidates = TABLE.filter((crs) => !crs.hasZonePrefix && isClose(crs.centralMeridian, centralMeridian));
    if (candidates.length === 0) {
      return { problem: `central meridian ${centralMeridian}°E is not that of a CGCS2000 Gauss-Kruger zone (75°E–135°E, every 3°)` };
    }
    const width = zoneWidthFromName(name) ?? 3;
    return { crs: candidates.find((crs) => crs.zoneWidthDegrees === width) ?? candidates[0]! };
  }
  const zone = (falseEasting - BASE_FALSE_EASTING) / ZONE_PREFIX_FACTOR;
  const crs = Number.isInteger(zone) ? gaussKrugerByZonePrefix(zone) : undefined;
  if (!crs) {
    return { problem: `false easting ${falseEasting} is neither 500000 nor a zone number (13–23 for 6°, 25–45 for 3° zones) followed by 500000` };
  }
  if (!isClose(crs.centralMeridian, centralMeridian)) {
    return { problem: `false easting ${falseEasting} is that of zone ${zone} (central meridian ${crs.centralMeridian}°E), but the central meridian is ${centralMeridian}°E` };
  }
  return { crs };
}

/**
 * The zone width a CRS name states. EPSG and ESRI both name 3° zones explicitly
 * (`3-degree Gauss-Kruger`, `CGCS2000_3_Degree_GK_CM_117E`) and 6° zones without a width
 * (`CGCS2000 / Gauss-Kruger CM 117E`, `CGCS2000_GK_CM_117E`); a home-made name with no width
 * (`CGCS2000_117E`) gives undefined, and callers take 3°, the zones of large-scale survey
 * mapping (1:10 000 and larger: GB/T 20257.1) and of the 三调 deliveries.
 */
export function zoneWidthFromName(name: string): ZoneWidthDegrees | undefined {
  if (/(?<![0-9])3[\s_-]*deg/i.test(name) || /3度/.test(name)) return 3;
  if (/(?<![0-9])6[\s_-]*deg/i.test(name) || /6度/.test(name)) return 6;
  if (/CGCS[\s_]?2000[\s_]*(\/[\s_]*Gauss[\s_-]*Kruger|_GK)[\s_]+(CM|zone)/i.test(name)) return 6;
  return undefined;
}

function isClose(a: number, b: number): boolean {
  return Math.abs(a - b) < 1e-6;
}
