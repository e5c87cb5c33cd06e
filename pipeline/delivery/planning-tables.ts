import type { PoolClient } from '../../core/db/pool.js';

/**
 * 三区三线 and planning zones drawn on the delivered parcels (`delivery_dltb`), per county in its
 * delivery zone (`delivery_county`), as real ones are drawn on the 三调 base map. Plausible for tests and
 * demonstrations, not a plan. Each parcel is given its lines and zone (`plan_parcel`), and each
 * layer merges its parcels and delivers every resulting polygon as a feature:
 *
 * - YJJBNT (永久基本农田): farmland parcels (0101 水田, 0102 水浇地, 0103 旱地) are protected with a
 *   deterministic chance of 90 %, or 30 % within the county seat's urban radius (farmland next to
 *   towns is what gets traded away); merged per village (ZLDWDM). DLBM/DLMC is the village's
 *   commonest protected class, YJJBNTMJ the patch area less the village's mean deduction (KCXS).
 * - CZKFBJ (城镇开发边界): the construction-class parcels (05, 06, 07, 08, 09, 1004, 1005, 1201)
 *   within the urban radius, plus the parcel holding the seat, are merged and closed (buffered out
 *   and back in by one seed spacing); the patch nearest the seat is the town. Parcels inside it are
 *   城镇集中建设区, its forest and water parcels (0301, 0307, 1101, 1104, 1107) 特别用途区; parcels
 *   in a ring around it adding about 10 % of its area are 城镇弹性发展区 (the 城镇开发边界划定指南
 *   caps that at 15 %).
 * - STBHHX (生态保护红线): forest, river and ditch parcels (0301, 1101, 1107) within a quarter seed
 *   spacing of each other are clustered, and each cluster closed by that distance; the largest
 *   clusters, up to 2 % of the county's area (at least one), are the red line: every parcel inside.
 *   The parcels of the other clusters of two or more are 生态控制区 in GHFQ.
 * - GHFQ (规划分区): each parcel's zone by priority: 生态保护区 (in the red line), 农田保护区 (in
 *   YJJBNT), 城镇发展区 (in CZKFBJ), 生态控制区, else 乡村发展区; a partition of the county.
 *
 * "Inside" means the parcel's point on surface (`pos`) is. The lines overlap where real ones do:
 * YJJBNT in CZKFBJ, red-line parcels in CZKFBJ, farmland in the red line. That is intended
 * (issue 9 analyses such conflicts); GHFQ resolves them by the priority above. Since every layer
 * is a union of millimetre parcels, its edges are DLTB edges; each polygon is rounded again and
 * repaired (pg_temp.snapped_polygons, which also drops polygons under 1 m²). Areas (MJ,
 * YJJBNTTBMJ) are ellipsoidal m² of the delivered polygon. Features are numbered north to south,
 * west to east within each county.
 *
 * Codes: YSDM of GHFQ is 2090020610 (planning_layers.csv: from a county-level tool, unverified);
 * the other layers' YSDM and any GHFQDM code list were not found in public sources, so YSDM is
 * left blank there and GHFQDM uses the provisional PLANNING_ZONE_CODES.
 */

/** Provisional GHFQDM codes: the order of planning_layers.csv, sub-zones under their zone. Official codes not found. */
export const PLANNING_ZONE_CODES: Readonly<Record<string, string>> = {
  生态保护区: '01',
  生态控制区: '02',
  农田保护区: '03',
  城镇发展区: '04',
  城镇集中建设区: '0401',
  城镇弹性发展区: '0402',
  特别用途区: '0403',
  乡村发展区: '05',
};

const GHFQ_YSDM = '2090020610';
const PROTECTED_SHARE_RURAL = 0.9;
const PROTECTED_SHARE_URBAN = 0.3;
const RED_LINE_SHARE = 0.02;
/** Cluster distance and closing radius of ecological parcels, as a share of the seed spacing. */
const ECO_CLUSTER_SPACING_SHARE = 0.25;
/** Area of the 弹性发展区 ring, as a share of the town. */
const FLEXIBLE_SHARE = 0.1;
const FARMLAND = `('0101', '0102', '0103')`;
const CONSTRUCTION = `ARRAY['05%', '06%', '07%', '08%', '09', '1004', '1005', '1201']`;
const SPECIAL_USE = `('0301', '0307', '1101', '1104', '1107')`;
const RED_LINE_CLASSES = `('0301', '1101', '1107')`;
/** The digit after the county code that keeps each layer's BSM apart from the parcels'. */
const BSM_LAYER_DIGIT = { stbhhx: 1, yjjbnt: 2, czkfbj: 3, ghfq: 4 } as const;

const ZONE_CODES_SQL = `(VALUES ${Object.entries(PLANNING_ZONE_CODES).map(([name, code]) => `('${name}', '${code}')`).join(', ')}) AS z(name, code)`;
const bsm = (layer: keyof typeof BSM_LAYER_DIGIT) => `g.county_code || '${BSM_LAYER_DIGIT[layer]}' || lpad(g.seq::text, 11, '0')`;

/** $1: seed. Every delivered parcel, with the lines it falls in (set by the statements below). */
const PARCEL_SQL = `CREATE TEMP TABLE plan_parcel ON COMMIT DROP AS
  SELECT county_code, seq, "DLBM" AS dlbm, "DLMC" AS dlmc, "ZLDWDM" AS dwdm, "ZLDWMC" AS dwmc,
         coalesce("KCXS", 0) AS kcxs, is_urban, pos, geom_gk,
         "DLBM" IN ${FARMLAND}
           AND pg_temp.hash01(concat_ws(':', $1::text, "BSM", 'yjjbnt')) < CASE WHEN is_urban THEN ${PROTECTED_SHARE_URBAN} ELSE ${PROTECTED_SHARE_RURAL} END
           AS is_protected,
         NULL::text AS town_zone, NULL::text AS eco_role
    FROM delivery_dltb`;

/** Per county: the town (closed built-up patch nearest the seat) and the outer edge of its 弹性 ring. */
const TOWN_SHAPE_SQL = `CREATE TEMP TABLE plan_town_shape ON COMMIT DROP AS
  WITH built AS (
    SELECT c.code AS county_code, c.spacing, c.seat, ST_Union(p.geom_gk ORDER BY p.seq) AS geom
      FROM delivery_county c JOIN plan_parcel p ON p.county_code = c.code
     WHERE p.is_urban AND (p.dlbm LIKE ANY (${CONSTRUCTION}) OR ST_Intersects(p.geom_gk, c.seat))
     GROUP BY c.code, c.spacing, c.seat
  ), town AS (
    SELECT DISTINCT ON (county_code) county_code, d.geom
      FROM built, ST_Dump(ST_Buffer(ST_Buffer(built.geom, spacing, 'quad_segs=4'), -spacing, 'quad_segs=4')) d
     ORDER BY county_code, ST_Distance(d.geom, seat), ST_Area(d.geom) DESC
  )
  SELECT county_code, geom AS town, ST_Buffer(geom, ${FLEXIBLE_SHARE} * ST_Area(geom) / ST_Perimeter(geom), 'quad_segs=4') AS flexible
    FROM town`;

const TOWN_PARCELS_SQL = `UPDATE plan_parcel p
     SET town_zone = CASE WHEN NOT ST_Intersects(t.town, p.pos) THEN '城镇弹性发展区'
                          WHEN p.dlbm IN ${SPECIAL_USE} THEN '特别用途区'
                          ELSE '城镇集中建设区' END
    FROM plan_town_shape t
   WHERE t.county_code = p.county_code AND ST_Intersects(t.flexible, p.pos)`;

/** Clusters of ecological parcels, closed, and their role: 'red' (STBHHX), 'control' (生态控制区) or null. */
const ECO_SHAPE_SQL = `CREATE TEMP TABLE plan_eco_shape ON COMMIT DROP AS
  WITH eco AS (
    SELECT p.county_code, p.seq, c.spacing, p.geom_gk,
           ST_ClusterDBSCAN(p.geom_gk, ${ECO_CLUSTER_SPACING_SHARE} * c.spacing, 1) OVER (PARTITION BY p.county_code ORDER BY p.seq) AS cluster
      FROM plan_parcel p JOIN delivery_county c ON c.code = p.county_code
     WHERE p.dlbm IN ${RED_LINE_CLASSES}
  ), cluster AS (
    SELECT county_code, min(seq) AS first_seq, count(*) AS members, min(spacing) AS spacing, ST_Union(geom_gk ORDER BY seq) AS geom
      FROM eco GROUP BY county_code, cluster
  ), closed AS (
    SELECT k.county_code, k.first_seq, k.members, c.area AS county_m2,
           ST_Intersection(ST_Buffer(ST_Buffer(k.geom, ${ECO_CLUSTER_SPACING_SHARE} * k.spacing, 'quad_segs=4'),
                                     -${ECO_CLUSTER_SPACING_SHARE} * k.spacing, 'quad_segs=4'), c.outline) AS geom
      FROM cluster k JOIN delivery_county c ON c.code = k.county_code
  ), ranked AS (
    SELECT closed.*,
           sum(ST_Area(geom)) OVER (PARTITION BY county_code ORDER BY ST_Area(geom) DESC, first_seq ROWS UNBOUNDED PRECEDING) - ST_Area(geom) AS larger_m2
      FROM closed
  )
  SELECT county_code, first_seq, geom,
         CASE WHEN larger_m2 < ${RED_LINE_SHARE} * county_m2 THEN 'red' WHEN members >= 2 THEN 'control' END AS role
    FROM ranked`;

/**
 * A parcel inside two closed clusters takes the red one, else the first. The shapes lie within
 * their county, so the join needs no county condition: one would make the planner read the
 * county's every parcel for each shape instead of asking the spatial index.
 */
const ECO_PARCELS_SQL = `UPDATE plan_parcel p
     SET eco_role = e.role
    FROM (SELECT DISTINCT ON (p.county_code, p.seq) p.county_code, p.seq, e.role
            FROM plan_eco_shape e JOIN plan_parcel p ON ST_Intersects(e.geom, p.pos)
           WHERE e.role IS NOT NULL
           ORDER BY p.county_code, p.seq, e.role = 'red' DESC, e.first_seq) e
   WHERE e.county_code = p.county_code AND e.seq = p.seq`;

/** Each parcel's planning zone, by the priority of the rules above. */
const ZONED_PARCEL = `(SELECT *, CASE WHEN eco_role = 'red' THEN '生态保护区'
                                     WHEN is_protected THEN '农田保护区'
                                     WHEN town_zone IS NOT NULL THEN '城镇发展区'
                                     WHEN eco_role = 'control' THEN '生态控制区'
                                     ELSE '乡村发展区' END AS zone_name
                         FROM plan_parcel) parcel`;

/**
 * A layer's table: the parcels of `source` selected by `where`, merged per county and
 * `groupKeys`, one row per polygon, numbered (`g.seq`) with its area (`g.mj`); `fields` reads
 * those, the group keys, and `c` (delivery_county) and whatever `join` adds.
 */
function mergedLayerSql(table: string, where: string, groupKeys: readonly string[], fields: string, join = '', source = 'plan_parcel'): string {
  const keys = ['county_code', ...groupKeys].join(', ');
  return `CREATE TEMP TABLE ${table} ON COMMIT DROP AS
  WITH merged AS (
    SELECT ${keys}, ST_Union(geom_gk ORDER BY seq) AS geom FROM ${source} WHERE ${where} GROUP BY ${keys}
  ), polygon AS (
    SELECT ${keys}, pg_temp.snapped_polygons(d.geom) AS geom_gk FROM merged, ST_Dump(merged.geom) d
  ), numbered AS (
    SELECT polygon.*,
           row_number() OVER (PARTITION BY county_code ORDER BY ST_YMax(geom_gk) DESC, ST_XMin(geom_gk), ST_Area(geom_gk)) AS seq,
           round(ST_Area(ST_Transform(geom_gk, 4490)::geography)::numeric, 2)::float8 AS mj
      FROM polygon
  )
  SELECT g.county_code, g.seq, ${fields}, g.geom_gk
    FROM numbered g JOIN delivery_county c ON c.code = g.county_code ${join}`;
}

const YJJBNT_SQL = mergedLayerSql('plan_yjjbnt', 'is_protected', ['dwdm', 'dwmc'], `
    ${bsm('yjjbnt')} AS "BSM", NULL::text AS "YSDM", g.county_code AS "XZQDM", c.name AS "XZQMC",
    g.seq::text AS "YJJBNTTBBH", v.class[1] AS "DLBM", v.class[2] AS "DLMC", '30' AS "QSXZ",
    g.dwdm AS "QSDWDM", g.dwmc AS "QSDWMC", g.dwdm AS "ZLDWDM", g.dwmc AS "ZLDWMC",
    g.mj AS "YJJBNTTBMJ", round((g.mj * (1 - v.kcxs))::numeric, 2)::float8 AS "YJJBNTMJ", '1' AS "GDPDJB", 2022 AS "SJNF"`, `
    JOIN (SELECT county_code, dwdm, mode() WITHIN GROUP (ORDER BY ARRAY[dlbm, dlmc]) AS class, avg(kcxs) AS kcxs
            FROM plan_parcel WHERE is_protected GROUP BY county_code, dwdm) v ON v.county_code = g.county_code AND v.dwdm = g.dwdm`);

const STBHHX_SQL = mergedLayerSql('plan_stbhhx', `eco_role = 'red'`, [], `
    ${bsm('stbhhx')} AS "BSM", NULL::text AS "YSDM", g.county_code AS "XJXZQDM", '山东省' AS "SJXZQMC", '聊城市' AS "SJXZQMC1",
    c.name AS "XJXZQMC", '陆域' AS "LHLX", g.mj AS "MJ"`);

const CZKFBJ_SQL = mergedLayerSql('plan_czkfbj', 'town_zone IS NOT NULL', ['town_zone'], `
    ${bsm('czkfbj')} AS "BSM", NULL::text AS "YSDM", g.county_code AS "XZQDM", c.name AS "XZQMC",
    z.code AS "GHFQDM", g.town_zone AS "GHFQMC", g.mj AS "MJ"`, `JOIN ${ZONE_CODES_SQL} ON z.name = g.town_zone`);

const GHFQ_SQL = mergedLayerSql('plan_ghfq', 'true', ['zone_name'], `
    ${bsm('ghfq')} AS "BSM", '${GHFQ_YSDM}' AS "YSDM", g.county_code AS "XZQDM", c.name AS "XZQMC",
    z.code AS "GHFQDM", g.zone_name AS "GHFQMC", g.mj AS "MJ"`, `JOIN ${ZONE_CODES_SQL} ON z.name = g.zone_name`, ZONED_PARCEL);

/** Makes plan_stbhhx, plan_yjjbnt, plan_czkfbj and plan_ghfq from delivery_dltb and delivery_county, in their transaction. */
export async function createPlanningTables(client: PoolClient, seed: string): Promise<void> {
  await client.query(PARCEL_SQL, [seed]);
  await client.query('CREATE INDEX ON plan_parcel USING gist (pos)');
  await client.query('CREATE UNIQUE INDEX ON plan_parcel (county_code, seq)');
  await client.query('ANALYZE plan_parcel');
  await client.query(TOWN_SHAPE_SQL);
  await client.query(TOWN_PARCELS_SQL);
  await client.query(ECO_SHAPE_SQL);
  await client.query('CREATE INDEX ON plan_eco_shape USING gist (geom)');
  await client.query('ANALYZE plan_eco_shape');
  await client.query(ECO_PARCELS_SQL);
  for (const sql of [YJJBNT_SQL, STBHHX_SQL, CZKFBJ_SQL, GHFQ_SQL]) await client.query(sql);
  for (const table of ['plan_stbhhx', 'plan_yjjbnt', 'plan_czkfbj', 'plan_ghfq']) {
    await client.query(`CREATE INDEX ON ${table} (county_code, seq)`);
  }
}
