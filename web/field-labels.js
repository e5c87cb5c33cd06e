// @ts-check
/**
 * Chinese names of the survey and planning fields (TD/T 1055-2019 三调数据库标准; 国土空间规划
 * 数据库标准), shown in the feature popup next to the field's code. Fields not listed are
 * shown by their code alone.
 */

/** @type {Readonly<Record<string, string>>} */
export const FIELD_LABELS = Object.freeze({
  fid: '要素序号',
  BSM: '标识码',
  YSDM: '要素代码',
  TBYBH: '图斑预编号',
  TBBH: '图斑编号',
  DLBM: '地类编码',
  DLMC: '地类名称',
  QSXZ: '权属性质',
  QSDWDM: '权属单位代码',
  QSDWMC: '权属单位名称',
  ZLDWDM: '坐落单位代码',
  ZLDWMC: '坐落单位名称',
  TBMJ: '图斑面积',
  KCDLBM: '扣除地类编码',
  KCXS: '扣除地类系数',
  KCMJ: '扣除地类面积',
  TBDLMJ: '图斑地类面积',
  GDLX: '耕地类型',
  GDPDJB: '耕地坡度级别',
  XZDWKD: '线状地物宽度',
  TBXHDM: '图斑细化代码',
  TBXHMC: '图斑细化名称',
  ZZSXDM: '种植属性代码',
  ZZSXMC: '种植属性名称',
  GDDB: '耕地等别',
  FRDBS: '飞入地标识',
  CZCSXM: '城镇村属性码',
  SJNF: '数据年份',
  MSSM: '描述说明',
  BZ: '备注',
  XZQDM: '行政区代码',
  XZQMC: '行政区名称',
  DCMJ: '调查面积',
  JSMJ: '计算面积',
  MJ: '面积',
  HXLX: '红线类型',
  GHFQDM: '规划分区代码',
  GHFQMC: '规划分区名称',
  KZXLX: '控制线类型',
});

/** Code lists of coded fields (TD/T 1055-2019 附录). */
/** @type {Readonly<Record<string, Readonly<Record<string, string>>>>} */
export const CODE_LISTS = Object.freeze({
  QSXZ: {
    10: '国有土地所有权',
    20: '国有土地使用权',
    30: '集体土地所有权',
    31: '村民小组',
    32: '村集体经济组织',
    33: '乡集体经济组织',
    34: '其他农民集体经济组织',
    40: '集体土地使用权',
  },
});

/** Fields holding an area in square metres. */
export const AREA_FIELDS = new Set(['TBMJ', 'KCMJ', 'TBDLMJ', 'DCMJ', 'JSMJ', 'MJ']);

/** Fields holding a 三调 land-use class code, named with /classes.json. */
export const CLASS_CODE_FIELDS = new Set(['DLBM', 'KCDLBM']);
