import type { ImportAgreement } from './import-checks.js';
import { featuresPerSecond, type ImportRun } from './import-run.js';
import { formatTable } from './report.js';

/** The pipeline should load at least as fast as ogr2ogr while it checks and publishes. */
export const TARGET_RATIO = 1.0;
/** Peak RSS of the pipeline's process for a delivery of RSS_TARGET_FEATURES features. */
export const RSS_TARGET_BYTES = 300e6;
export const RSS_TARGET_FEATURES = 1_000_000;

const MB = 1e6;

export interface ImportSummary {
  readonly gdalFeaturesPerSecond: number;
  /** Read to published, QA-checked version (importDataset): what ogr2ogr is compared with. */
  readonly pipelineFeaturesPerSecond: number;
  /** pipeline / GDAL. */
  readonly ratio: number;
  /** Mean seconds of the analysis refresh that follows a publish as a job of its own (ChildResult.analysisSeconds). */
  readonly analysisSeconds: number;
  /** The pipeline with the analysis refresh added, for comparison with runs before it was a job of its own. */
  readonly ratioWithAnalysis: number;
  readonly pipelinePeakRssBytes: number;
  readonly features: number;
}

/** Rates over all runs of a side: features summed over seconds summed. */
export function summariseImports(runs: readonly ImportRun[]): ImportSummary {
  const rate = (side: ImportRun['side']) => {
    const ofSide = runs.filter((run) => run.side === side);
    return featuresPerSecond({ features: sum(ofSide.map((run) => run.features)), seconds: sum(ofSide.map((run) => run.seconds)) });
  };
  const pipeline = runs.filter((run) => run.side === 'pipeline');
  const gdalFeaturesPerSecond = rate('GDAL');
  const pipelineFeaturesPerSecond = rate('pipeline');
  const analysis = sum(pipeline.map((run) => run.child?.analysisSeconds ?? 0));
  const withAnalysis = featuresPerSecond({
    features: sum(pipeline.map((run) => run.features)),
    seconds: sum(pipeline.map((run) => run.seconds)) + analysis,
  });
  const ratioTo = (rate: number) => (gdalFeaturesPerSecond > 0 ? rate / gdalFeaturesPerSecond : Number.NaN);
  return {
    gdalFeaturesPerSecond,
    pipelineFeaturesPerSecond,
    ratio: ratioTo(pipelineFeaturesPerSecond),
    analysisSeconds: pipeline.length > 0 ? analysis / pipeline.length : 0,
    ratioWithAnalysis: ratioTo(withAnalysis),
    pipelinePeakRssBytes: Math.max(...pipeline.map((run) => run.peakRssBytes)),
    features: Math.max(...runs.map((run) => run.features)),
  };
}

/** Every run, in the order it ran. */
export function formatRunTable(runs: readonly ImportRun[]): string {
  return formatTable(
    ['side', 'run', 'features', 'seconds', 'features/s', 'peak RSS MB', 'CPU s', 'process s', 'then analysis s'],
    runs.map((run) => [
      run.side,
      String(run.run),
      String(run.features),
      run.seconds.toFixed(1),
      featuresPerSecond(run).toFixed(0),
      (run.peakRssBytes / MB).toFixed(0),
      run.cpuSeconds.toFixed(1),
      run.processSeconds.toFixed(1),
      run.child ? run.child.analysisSeconds.toFixed(1) : '-',
    ]),
  );
}

/** The two targets of the issue. */
export function formatSummaryTable(summary: ImportSummary): string {
  const rssApplies = summary.features >= RSS_TARGET_FEATURES;
  return formatTable(
    ['measure', 'value', 'target', 'result'],
    [
      ['GDAL features/s', summary.gdalFeaturesPerSecond.toFixed(0), '-', '-'],
      ['pipeline features/s (to published version)', summary.pipelineFeaturesPerSecond.toFixed(0), '-', '-'],
      ['pipeline/GDAL', summary.ratio.toFixed(2), `>= ${TARGET_RATIO.toFixed(2)}`, summary.ratio >= TARGET_RATIO ? 'PASS' : 'BELOW'],
      ['analysis refresh after the publish, s (a job of its own)', summary.analysisSeconds.toFixed(1), '-', '-'],
      ['pipeline + analysis/GDAL', summary.ratioWithAnalysis.toFixed(2), '-', '-'],
      [
        'pipeline peak RSS MB',
        (summary.pipelinePeakRssBytes / MB).toFixed(0),
        `< ${RSS_TARGET_BYTES / MB} at ${RSS_TARGET_FEATURES.toLocaleString('en')} features`,
        rssApplies ? (summary.pipelinePeakRssBytes < RSS_TARGET_BYTES ? 'PASS' : 'ABOVE') : '-',
      ],
    ],
  );
}

/**
 * The pipeline's phases, averaged over its runs, in the order they ran: seconds its statements
 * were in flight (the QA checks overlap on two connections; their span is a row of its own,
 * left out of the total), the total being the import's wall time.
 */
export function formatPhaseTable(runs: readonly ImportRun[]): string {
  const children = runs.flatMap((run) => (run.child ? [run.child] : []));
  const order: string[] = [];
  const totals = new Map<string, { seconds: number; processCpu: number; backendCpu: number | null; isSpan: boolean }>();
  for (const phase of children.flatMap((child) => child.phases)) {
    if (!totals.has(phase.phase)) order.push(phase.phase);
    const total = totals.get(phase.phase) ?? { seconds: 0, processCpu: 0, backendCpu: 0, isSpan: phase.isSpan ?? false };
    total.seconds += phase.seconds;
    total.processCpu += phase.processCpuSeconds;
    total.backendCpu = total.backendCpu === null || phase.backendCpuSeconds === null ? null : total.backendCpu + phase.backendCpuSeconds;
    totals.set(phase.phase, total);
  }
  const count = children.length;
  const wall = sum(children.map((child) => child.seconds));
  const row = (phase: string, t: { seconds: number; processCpu: number; backendCpu: number | null; isSpan: boolean }) => [
    phase,
    (t.seconds / count).toFixed(2),
    `${((100 * t.seconds) / wall).toFixed(1)} %`,
    t.isSpan ? '-' : (t.processCpu / count).toFixed(2),
    t.isSpan || t.backendCpu === null ? '-' : (t.backendCpu / count).toFixed(2),
  ];
  const counted = [...totals.values()].filter((total) => !total.isSpan);
  const sumOf = (key: 'processCpu' | 'backendCpu') => {
    const values = counted.map((total) => total[key]);
    return values.some((value) => value === null) ? null : sum(values as number[]);
  };
  return formatTable(
    ['phase', 'seconds', 'share', 'Node CPU s', 'PostgreSQL CPU s'],
    [
      ...order.map((phase) => row(phase, totals.get(phase)!)),
      row('total (wall clock of the import; CPU summed)', { seconds: wall, processCpu: sumOf('processCpu')!, backendCpu: sumOf('backendCpu'), isSpan: false }),
    ],
  );
}

export function formatAgreement(agreement: ImportAgreement): string {
  const lines = [
    `rows: pipeline ${agreement.pipelineRows}, GDAL ${agreement.gdalRows}`,
    `DLMC = 三调 name of DLBM: pipeline ${agreement.pipelineDlmcCorrect}, GDAL ${agreement.gdalDlmcCorrect}`,
    `DLMC, QSDWMC, ZLDWMC equal in both (joined on BSM): ${agreement.textEqual}`,
    `largest geometry difference (sample, EPSG:4527): ${(agreement.maxGeometryDifferenceMetres * 1000).toFixed(3)} mm`,
    ...agreement.examples.map((example) => `  ${example.bsm}: pipeline ${example.pipeline} | GDAL ${example.gdal}`),
  ];
  return lines.join('\n');
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
