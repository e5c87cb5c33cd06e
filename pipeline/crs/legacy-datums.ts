/**
 * The datums Chinese survey data came in before CGCS2000: Beijing 1954 (Krassowsky 1940
 * ellipsoid), New Beijing (Beijing 1954 re-computed on the same ellipsoid) and Xian 1980
 * (IAG 1975 ellipsoid). PROJ, and so PostGIS, knows only a "ballpark" transformation of
 * unknown accuracy from them to CGCS2000 (`projinfo -s EPSG:4214 -t EPSG:4490 --summary`), so
 * such data needs transformation parameters from the dataset config and is refused without them.
 */

export type LegacyDatum = 'Beijing 1954' | 'New Beijing' | 'Xian 1980';

/**
 * The EPSG codes of each datum's geographic and Gauss-Kruger CRSs, checked against the names in
 * spatial_ref_sys by `test/pipeline/crs/cgcs2000-gauss-kruger.test.ts`.
 */
const LEGACY_SRID_RANGES: readonly (readonly [first: number, last: number, datum: LegacyDatum])[] = [
  [4214, 4214, 'Beijing 1954'],
  [2401, 2442, 'Beijing 1954'], // 3° zones 25–45 and CM 75E–135E
  [21413, 21423, 'Beijing 1954'], // 6° zones 13–23
  [21453, 21463, 'Beijing 1954'], // 6° CM 75E–135E
  [21473, 21483, 'Beijing 1954'], // 6° "13N"–"23N", deprecated
  [4555, 4555, 'New Beijing'],
  [4568, 4589, 'New Beijing'], // 6° zones and CMs
  [4652, 4656, 'New Beijing'], // 3° zones 25–29
  [4766, 4800, 'New Beijing'], // 3° zones 30–45, CM 75E–129E
  [4812, 4812, 'New Beijing'], // 3° CM 132E
  [4822, 4822, 'New Beijing'], // 3° CM 135E
  [4610, 4610, 'Xian 1980'],
  [2327, 2390, 'Xian 1980'], // 6° zones, 6° CMs, 3° zones, 3° CMs
];

export function legacyDatumOfSrid(srid: number): LegacyDatum | undefined {
  return LEGACY_SRID_RANGES.find(([first, last]) => srid >= first && srid <= last)?.[2];
}

/**
 * The legacy datum a datum or CRS name says, as EPSG, ESRI and Chinese software write them
 * (`Beijing_1954`, `D_Beijing_1954`, `GCS_Xian_1980`, `北京54`, `西安80`).
 */
export function legacyDatumOfName(name: string): LegacyDatum | undefined {
  const key = normalizeName(name);
  if (key.includes('newbeijing') || key.includes('新北京')) return 'New Beijing';
  if (key.includes('beijing1954') || /北京(19)?54|1954北京/.test(key)) return 'Beijing 1954';
  if (key.includes('xian1980') || /西安(19)?80|1980西安/.test(key)) return 'Xian 1980';
  return undefined;
}

/** The legacy datum an ellipsoid implies: whatever the names say, these are not CGCS2000. */
export function legacyDatumOfEllipsoid(semiMajorAxis: number, inverseFlattening: number): LegacyDatum | undefined {
  if (Math.abs(semiMajorAxis - 6378245) < 0.5 && Math.abs(inverseFlattening - 298.3) < 1e-3) return 'Beijing 1954';
  if (Math.abs(semiMajorAxis - 6378140) < 0.5 && Math.abs(inverseFlattening - 298.257) < 1e-3) return 'Xian 1980';
  return undefined;
}

/** The refusal: `what` says where the datum was seen (`the .prj "Xian_1980_3_Degree_GK_Zone_39"`). */
export function legacyDatumProblem(datum: LegacyDatum, what: string): string {
  const ellipsoid = datum === 'Xian 1980' ? 'IAG 1975' : 'Krassowsky 1940';
  return `the data is in ${datum} (${what}; ${ellipsoid} ellipsoid), not CGCS2000: it must be given transformation ` +
    `parameters to CGCS2000 in the dataset config (PostGIS knows only a ballpark transformation of unknown accuracy ` +
    `from ${datum}), or be delivered in CGCS2000`;
}

/** Lower case, letters and digits only (any script), so `D_Beijing_1954` and `Beijing 1954` meet. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}
