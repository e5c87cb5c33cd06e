import type { FieldSpec } from './dbf-field-spec.js';

/**
 * The layers of a sample delivery, as a county hands them over: one file set per layer per
 * county, named as in the 三调 and 统一规划 databases. Each layer is read from a session temp
 * table with one column per field (named exactly like the field), `county_code`, `seq` (the
 * file order) and `geom_gk` (millimetre-rounded polygons in the county's Gauss-Kruger zone).
 *
 * Field sets: 三调 DLTB as in TD/T 1055-2019 (widths of the 三调 database standard, QSDWMC and
 * ZLDWMC shortened from 255 to 60 bytes); planning layers from data/reference/planning_layers.csv
 * key_fields, keeping the fields that mean something for a derived sample (see planning-tables.ts).
 */
export type LayerKey = 'landuse' | 'stbhhx' | 'yjjbnt' | 'czkfbj' | 'ghfq';

export interface DeliveryLayer {
  readonly key: LayerKey;
  /** File name without extension, e.g. DLTB. */
  readonly fileName: string;
  /** The session temp table the features come from. */
  readonly table: string;
  readonly fields: readonly FieldSpec[];
}

const text = (name: string, length: number): FieldSpec => ({ name, type: 'C', length });
/** Areas in m², two decimals, as the 三调 standard's Float(15,2). */
const area = (name: string): FieldSpec => ({ name, type: 'N', length: 15, decimals: 2 });
const year = (name: string): FieldSpec => ({ name, type: 'N', length: 4 });

const LANDUSE_FIELDS: readonly FieldSpec[] = [
  text('BSM', 18), // 标识码
  text('YSDM', 10), // 要素代码
  text('TBBH', 8), // 图斑编号
  text('DLBM', 5), // 地类编码
  text('DLMC', 60), // 地类名称
  text('QSXZ', 2), // 权属性质
  text('QSDWDM', 19), // 权属单位代码
  text('QSDWMC', 60), // 权属单位名称
  text('ZLDWDM', 19), // 坐落单位代码
  text('ZLDWMC', 60), // 坐落单位名称
  area('TBMJ'), // 图斑面积: ellipsoidal, of the rounded geometry
  text('KCDLBM', 5), // 扣除地类编码
  { name: 'KCXS', type: 'N', length: 6, decimals: 4 }, // 扣除地类系数, Float(5,4)
  area('KCMJ'), // 扣除地类面积
  area('TBDLMJ'), // 图斑地类面积
  text('GDLX', 2), // 耕地类型
  text('XZQDM', 6), // county code, as in the published sample
  year('SJNF'), // 数据年份
];

const STBHHX_FIELDS: readonly FieldSpec[] = [
  text('BSM', 18), text('YSDM', 10),
  text('XJXZQDM', 6), // 县级行政区代码
  text('SJXZQMC', 50), // 省级行政区名称
  text('SJXZQMC1', 50), // 市级行政区名称
  text('XJXZQMC', 50), // 县级行政区名称
  text('LHLX', 10), // 陆海类型
  area('MJ'),
];

const YJJBNT_FIELDS: readonly FieldSpec[] = [
  text('BSM', 18), text('YSDM', 10), text('XZQDM', 6), text('XZQMC', 50),
  text('YJJBNTTBBH', 8), // 永久基本农田图斑编号
  text('DLBM', 5), text('DLMC', 60), text('QSXZ', 2),
  text('QSDWDM', 19), text('QSDWMC', 60), text('ZLDWDM', 19), text('ZLDWMC', 60),
  area('YJJBNTTBMJ'), // 图斑面积
  area('YJJBNTMJ'), // 永久基本农田面积: less the deducted ditches and ridges (KCXS)
  text('GDPDJB', 2), // 耕地坡度级别
  year('SJNF'),
];

const ZONE_FIELDS: readonly FieldSpec[] = [
  text('BSM', 18), text('YSDM', 10), text('XZQDM', 6), text('XZQMC', 50),
  text('GHFQDM', 10), // 规划分区代码
  text('GHFQMC', 50), // 规划分区名称
  area('MJ'),
];

export const DELIVERY_LAYERS: readonly DeliveryLayer[] = [
  { key: 'landuse', fileName: 'DLTB', table: 'delivery_dltb', fields: LANDUSE_FIELDS },
  { key: 'stbhhx', fileName: 'STBHHX', table: 'plan_stbhhx', fields: STBHHX_FIELDS },
  { key: 'yjjbnt', fileName: 'YJJBNT', table: 'plan_yjjbnt', fields: YJJBNT_FIELDS },
  { key: 'czkfbj', fileName: 'CZKFBJ', table: 'plan_czkfbj', fields: ZONE_FIELDS },
  { key: 'ghfq', fileName: 'GHFQ', table: 'plan_ghfq', fields: ZONE_FIELDS },
];

export const LAYER_KEYS: readonly LayerKey[] = DELIVERY_LAYERS.map((layer) => layer.key);
