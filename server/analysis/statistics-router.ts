import { Router, type Request } from 'express';
import type { AppConfig } from '../../core/config/load-config.js';
import type { Pool } from '../../core/db/pool.js';
import { NotFoundError } from '../../core/errors.js';
import { hectaresFromM2, muFromM2 } from '../../pipeline/analysis/area-units.js';
import {
  knownCounties,
  latestRun,
  readConflicts,
  readControlLines,
  readLanduseClasses,
  readSlivers,
  type AnalysisRunInfo,
  type ConflictRow,
  type ControlLineRow,
  type LanduseClassRow,
  type SliverRow,
} from '../../pipeline/analysis/read-statistics.js';
import type { CsvColumn } from './csv-table.js';
import { checkParameterNames, parseChoice, parseCounty, parseFormat, parsePositiveInteger } from './query-parameters.js';
import { sendTable } from './table-response.js';

/**
 * The 三区三线 statistics, precomputed at publish time (pipeline/analysis), as JSON or CSV:
 *
 * - `GET /statistics`: the run they come from (source versions, time, stale or not).
 * - `GET /statistics/landuse?county=&group=class|level1&format=json|csv`: land-use area by
 *   三调 class, or level-1 class, per county.
 * - `GET /statistics/control-lines?county=&format=`: area of each control line per county.
 * - `GET /statistics/conflicts?county=&format=`: overlap areas per conflict type and county,
 *   with the slivers counted apart.
 * - `GET /statistics/slivers?county=&limit=&format=`: the sliver pieces themselves.
 *
 * Paths are relative: the application mounts this router under /admin, behind the admin auth.
 */
export interface StatisticsRouterDeps {
  readonly pool: Pool;
  readonly config: AppConfig;
}

const SLIVER_LIMIT_MAX = 100_000;

export function createStatisticsRouter({ pool, config }: StatisticsRouterDeps): Router {
  const router = Router();

  router.get('/statistics', async (req, res) => {
    checkParameterNames(req.query, []);
    const run = await latestRun(pool, config);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...runMeta(run), counties: [...(await knownCounties(pool, config, run))].sort() });
  });

  router.get('/statistics/landuse', async (req, res) => {
    checkParameterNames(req.query, ['county', 'group', 'format']);
    const format = parseFormat(req.query);
    const group = parseChoice(req.query, 'group', ['class', 'level1'] as const, 'class');
    const { run, county } = await runAndCounty(req);
    const classes = await readLanduseClasses(pool, config, run, county);
    const rows = group === 'class' ? classes.map(asAreaRow) : level1Rows(classes);
    sendTable(res, {
      format,
      fileName: `landuse-${group}-statistics${county ? `-${county}` : ''}`,
      title: `三调地类面积统计（${group === 'class' ? '二级类' : '一级类'}）${county ? `_${county}` : ''}`,
      meta: { ...runMeta(run), dataset: config.analysis.landuse, version: run.inputs[config.analysis.landuse], county, group, totals: totals(rows) },
      columns: group === 'class' ? LANDUSE_CLASS_COLUMNS : LANDUSE_LEVEL1_COLUMNS,
      rows,
      toJson: (row) => (group === 'class' ? row : omit(row, ['classCode', 'className'])),
    });
  });

  router.get('/statistics/control-lines', async (req, res) => {
    checkParameterNames(req.query, ['county', 'format']);
    const format = parseFormat(req.query);
    const { run, county } = await runAndCounty(req);
    const rows = (await readControlLines(pool, run, county)).map(asAreaRow);
    sendTable(res, {
      format,
      fileName: `control-line-statistics${county ? `-${county}` : ''}`,
      title: `三区三线面积统计${county ? `_${county}` : ''}`,
      meta: { ...runMeta(run), county },
      columns: CONTROL_LINE_COLUMNS,
      rows,
    });
  });

  router.get('/statistics/conflicts', async (req, res) => {
    checkParameterNames(req.query, ['county', 'format']);
    const format = parseFormat(req.query);
    const { run, county } = await runAndCounty(req);
    const rows = (await readConflicts(pool, run, county)).map(asAreaRow);
    sendTable(res, {
      format,
      fileName: `conflict-statistics${county ? `-${county}` : ''}`,
      title: `三区三线冲突面积统计${county ? `_${county}` : ''}`,
      meta: { ...runMeta(run), county, sliverAreaM2: config.analysis.sliverAreaM2, totals: totals(rows) },
      columns: CONFLICT_COLUMNS,
      rows,
    });
  });

  router.get('/statistics/slivers', async (req, res) => {
    checkParameterNames(req.query, ['county', 'limit', 'format']);
    const format = parseFormat(req.query);
    const limit = parsePositiveInteger(req.query, 'limit', SLIVER_LIMIT_MAX) ?? 1000;
    const { run, county } = await runAndCounty(req);
    const rows = await readSlivers(pool, config, run, county, limit);
    sendTable(res, {
      format,
      fileName: `conflict-slivers${county ? `-${county}` : ''}`,
      title: `冲突碎片图斑清单${county ? `_${county}` : ''}`,
      meta: { ...runMeta(run), county, sliverAreaM2: config.analysis.sliverAreaM2, limit },
      columns: SLIVER_COLUMNS,
      rows,
    });
  });

  /** The latest run, and the county parameter checked against the counties it knows. */
  async function runAndCounty(req: Request): Promise<{ run: AnalysisRunInfo; county: string | null }> {
    const county = parseCounty(req.query);
    const run = await latestRun(pool, config);
    if (county !== null) {
      const known = await knownCounties(pool, config, run);
      if (!known.has(county)) throw new NotFoundError(`parameter county: no county ${county} in the statistics (known: ${[...known].sort().join(', ') || 'none'})`);
    }
    return { run, county };
  }

  return router;
}

function runMeta(run: AnalysisRunInfo): Record<string, unknown> {
  return {
    run: run.runId,
    sources: run.inputs,
    computedAt: run.finishedAt.toISOString(),
    stale: run.stale,
    areaMethod: run.areaMethod,
    conflictsVersion: run.conflictsVersion,
  };
}

type WithAreas<Row> = Row & { readonly areaHa: number; readonly areaMu: number };

function asAreaRow<Row extends { readonly areaM2: number }>(row: Row): WithAreas<Row> {
  return { ...row, areaHa: hectaresFromM2(row.areaM2), areaMu: muFromM2(row.areaM2) };
}

type LanduseRow = WithAreas<LanduseClassRow>;

/** Level-1 totals of the class rows, per county. */
function level1Rows(classes: readonly LanduseClassRow[]): LanduseRow[] {
  const groups = new Map<string, LanduseClassRow>();
  for (const row of classes) {
    const key = `${row.countyCode ?? ''}:${row.level1Code}`;
    const known = groups.get(key);
    groups.set(key, known
      ? { ...known, parcels: known.parcels + row.parcels, areaM2: known.areaM2 + row.areaM2 }
      : { ...row, classCode: row.level1Code, className: row.level1Name });
  }
  return [...groups.values()].map(asAreaRow);
}

function totals(rows: readonly { readonly areaM2: number; readonly parcels?: number; readonly features?: number }[]): Record<string, number> {
  const areaM2 = rows.reduce((sum, row) => sum + row.areaM2, 0);
  const count = rows.reduce((sum, row) => sum + (row.parcels ?? row.features ?? 0), 0);
  return { count, areaM2, areaHa: hectaresFromM2(areaM2), areaMu: muFromM2(areaM2) };
}

function omit<Row extends object>(row: Row, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !keys.includes(key)));
}

const areaColumns = <Row extends { areaM2: number; areaHa: number; areaMu: number }>(): CsvColumn<Row>[] => [
  { title: '面积（平方米）', value: (row) => row.areaM2, decimals: 2 },
  { title: '面积（公顷）', value: (row) => row.areaHa, decimals: 4 },
  { title: '面积（亩）', value: (row) => row.areaMu, decimals: 2 },
];

const countyColumns = <Row extends { countyCode: string | null; countyName: string | null }>(): CsvColumn<Row>[] => [
  { title: '县级行政区代码', value: (row) => row.countyCode },
  { title: '县级行政区名称', value: (row) => row.countyName ?? (row.countyCode === null ? '行政区外' : null) },
];

const LANDUSE_CLASS_COLUMNS: readonly CsvColumn<LanduseRow>[] = [
  ...countyColumns<LanduseRow>(),
  { title: '地类编码', value: (row) => row.classCode },
  { title: '地类名称', value: (row) => row.className },
  { title: '一级类编码', value: (row) => row.level1Code },
  { title: '一级类名称', value: (row) => row.level1Name },
  { title: '图斑数', value: (row) => row.parcels },
  ...areaColumns<LanduseRow>(),
];

const LANDUSE_LEVEL1_COLUMNS: readonly CsvColumn<LanduseRow>[] = [
  ...countyColumns<LanduseRow>(),
  { title: '一级类编码', value: (row) => row.level1Code },
  { title: '一级类名称', value: (row) => row.level1Name },
  { title: '图斑数', value: (row) => row.parcels },
  ...areaColumns<LanduseRow>(),
];

type ControlLineAreaRow = WithAreas<ControlLineRow>;
const CONTROL_LINE_COLUMNS: readonly CsvColumn<ControlLineAreaRow>[] = [
  ...countyColumns<ControlLineAreaRow>(),
  { title: '控制线', value: (row) => row.roleName },
  { title: '数据集', value: (row) => row.datasets.join(' ') },
  { title: '图斑数', value: (row) => row.features },
  ...areaColumns<ControlLineAreaRow>(),
];

type ConflictAreaRow = WithAreas<ConflictRow>;
const CONFLICT_COLUMNS: readonly CsvColumn<ConflictAreaRow>[] = [
  ...countyColumns<ConflictAreaRow>(),
  { title: '冲突类型代码', value: (row) => row.conflictType },
  { title: '冲突类型', value: (row) => row.typeName },
  { title: '图斑数', value: (row) => row.features },
  ...areaColumns<ConflictAreaRow>(),
  { title: '其中碎片数', value: (row) => row.slivers },
  { title: '碎片面积（平方米）', value: (row) => row.sliverAreaM2, decimals: 4 },
];

const SLIVER_COLUMNS: readonly CsvColumn<SliverRow>[] = [
  { title: '要素编号', value: (row) => row.fid },
  { title: '冲突类型代码', value: (row) => row.conflictType },
  { title: '冲突类型', value: (row) => row.typeName },
  { title: '数据集甲', value: (row) => row.aDataset },
  { title: '标识码甲', value: (row) => row.aKey },
  { title: '数据集乙', value: (row) => row.bDataset },
  { title: '标识码乙', value: (row) => row.bKey },
  { title: '地类编码', value: (row) => row.classCode },
  ...countyColumns<SliverRow>(),
  { title: '面积（平方米）', value: (row) => row.areaM2, decimals: 4 },
];
