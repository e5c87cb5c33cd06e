import type { PhaseTiming } from './statement-timeline.js';

/** application_name of the import child's connections, so that watchers can tell them apart. */
export const IMPORT_APPLICATION_NAME = 'planmap-bench-import';

/** Starts the one line of the import child's stdout that carries its result, as JSON. */
export const CHILD_RESULT_MARKER = 'PLANMAP_IMPORT_RESULT ';

/** What the import child reports (bench/support/import-child.ts). */
export interface ChildResult {
  /** Wall time of importDataset alone: read, COPY, repair, QA, publish (the import job, done at the publish). */
  readonly seconds: number;
  /**
   * The analysis refresh after the publish (pipeline/analysis: derived datasets, statistics, the
   * comparison with the previous version), a job of its own that the child runs after the
   * import as `planmap-cli import` does; 0 when nothing was published. Not in `seconds`.
   */
  readonly analysisSeconds: number;
  readonly featuresRead: number;
  readonly featuresLoaded: number;
  readonly version: number | null;
  readonly qaPassed: boolean;
  /** Features read and loaded, one line per finding (without examples), the verdict. */
  readonly qaSummary: readonly string[];
  readonly phases: readonly PhaseTiming[];
  /** RSS once the modules are loaded, before the import: what the import adds sits on top. */
  readonly rssBeforeBytes: number;
  /** process.resourceUsage().maxRSS at the end of the import (the kernel's ru_maxrss), in bytes. */
  readonly maxRssBytes: number;
  /** The same after the analysis refresh. */
  readonly maxRssBytesWithAnalysis: number;
  /** CPU of the child during importDataset. */
  readonly cpuSeconds: number;
}

/** One import by either side, as the report shows it. */
export interface ImportRun {
  readonly side: 'GDAL' | 'pipeline';
  /** 1-based, per side. */
  readonly run: number;
  readonly features: number;
  /** The import: importDataset (to the published version) for the pipeline, the ogr2ogr process for GDAL. */
  readonly seconds: number;
  /** The whole process as the benchmark saw it (start-up and module loading included). */
  readonly processSeconds: number;
  readonly peakRssBytes: number;
  /** How the peak was measured. */
  readonly rssSource: 'ru_maxrss' | 'VmHWM sampled';
  readonly cpuSeconds: number;
  /** Only for the pipeline. */
  readonly child: ChildResult | null;
}

export function featuresPerSecond(run: Pick<ImportRun, 'features' | 'seconds'>): number {
  return run.seconds > 0 ? run.features / run.seconds : 0;
}
