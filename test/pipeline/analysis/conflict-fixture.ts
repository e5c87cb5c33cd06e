import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { COUNTY_COLUMNS, county, LANDUSE_COLUMNS, line, LINE_COLUMNS, parcel, publishRectangles, rectArea, type Rect } from './rectangle-fixtures.js';

/**
 * A small 三区三线 situation drawn with rectangles (metres from X0, Y0 in EPSG:4527), whose
 * conflicts are worked out by hand below (EXPECTED_CONFLICTS), for the pipeline and HTTP tests.
 *
 *   county 371502 东昌府区: [-1000, -1000, 1000, 1000]; county 371521 阳谷县: [1000, -1000, 3000, 1000]
 *   red line   R1 [0, 0, 300, 200]
 *   farmland   F1 [200, 100, 500, 400]
 *   boundary   D1 [450, 350, 800, 600], D2 [299.95, 150, 400, 160] (touches R1 by a 0.05 m strip)
 *   parcels    P1 0702 [0, 0, 100, 100]      built-up, inside R1
 *              P2 0101 [100, 0, 300, 100]    farmland, outside F1
 *              P3 0103 [200, 100, 500, 300]  farmland, inside F1
 *              P4 0301 [0, 100, 200, 200]    forest, in R1 (no conflict)
 *              P6 0201 [200, 300, 500, 400]  orchard, inside F1
 *              P7 0102 [1500, 0, 1600, 100]  farmland in 371521, no basic farmland there
 */
export const COUNTY_A = '371502';
export const COUNTY_B = '371521';

export const RED_LINE_V1: Rect = [0, 0, 300, 200];
/** The next delivery of the red line: 100 m further north. */
export const RED_LINE_V2: Rect = [0, 0, 300, 300];
const F1: Rect = [200, 100, 500, 400];
const D1: Rect = [450, 350, 800, 600];
const D2: Rect = [299.95, 150, 400, 160];

export const PARCELS = [
  parcel('P1', '0702', COUNTY_A, [0, 0, 100, 100]),
  parcel('P2', '0101', COUNTY_A, [100, 0, 300, 100]),
  parcel('P3', '0103', COUNTY_A, [200, 100, 500, 300]),
  parcel('P4', '0301', COUNTY_A, [0, 100, 200, 200]),
  parcel('P6', '0201', COUNTY_A, [200, 300, 500, 400]),
  parcel('P7', '0102', COUNTY_B, [1500, 0, 1600, 100]),
];

export interface ExpectedConflict {
  readonly type: string;
  readonly aKey: string;
  readonly bKey: string | null;
  readonly county: string;
  readonly areaM2: number;
  readonly sliver: boolean;
}

/** With red line v1. */
export const EXPECTED_CONFLICTS: readonly ExpectedConflict[] = [
  { type: 'built_up_in_red_line', aKey: 'P1', bKey: 'R1', county: COUNTY_A, areaM2: 100 * 100, sliver: false },
  { type: 'farmland_development', aKey: 'F1', bKey: 'D1', county: COUNTY_A, areaM2: 50 * 50, sliver: false },
  { type: 'farmland_development', aKey: 'F1', bKey: 'D2', county: COUNTY_A, areaM2: 100.05 * 10, sliver: false },
  { type: 'farmland_outside_basic_farmland', aKey: 'P2', bKey: null, county: COUNTY_A, areaM2: 200 * 100, sliver: false },
  { type: 'farmland_outside_basic_farmland', aKey: 'P7', bKey: null, county: COUNTY_B, areaM2: 100 * 100, sliver: false },
  { type: 'non_farmland_in_basic_farmland', aKey: 'P6', bKey: 'F1', county: COUNTY_A, areaM2: 300 * 100, sliver: false },
  { type: 'red_line_development', aKey: 'R1', bKey: 'D2', county: COUNTY_A, areaM2: 0.05 * 10, sliver: true },
  { type: 'red_line_farmland', aKey: 'R1', bKey: 'F1', county: COUNTY_A, areaM2: 100 * 100, sliver: false },
];

/** With red line v2, [0, 0, 300, 300]: R ∩ F1 grows to [200, 100, 300, 300]; P6 now touches it only along an edge. */
export const RED_LINE_FARMLAND_V2_M2 = 100 * 200;

export const CONTROL_LINE_AREAS = {
  red_line: rectArea(RED_LINE_V1),
  basic_farmland: rectArea(F1),
  development_boundary: rectArea(D1) + rectArea(D2),
};

/** Publishes counties, land use and the three control lines (version 1 of each). */
export async function publishConflictFixture(pool: Pool, config: AppConfig): Promise<void> {
  await publishRectangles(pool, config, 'county', COUNTY_COLUMNS, [
    county(COUNTY_A, '东昌府区', [-1000, -1000, 1000, 1000]),
    county(COUNTY_B, '阳谷县', [1000, -1000, 3000, 1000]),
  ]);
  await publishRectangles(pool, config, 'landuse', LANDUSE_COLUMNS, PARCELS);
  await publishRectangles(pool, config, 'stbhhx', LINE_COLUMNS, [line('R1', RED_LINE_V1)]);
  await publishRectangles(pool, config, 'yjjbnt', LINE_COLUMNS, [line('F1', F1)]);
  await publishRectangles(pool, config, 'czkfbj', LINE_COLUMNS, [line('D1', D1), line('D2', D2)]);
}
