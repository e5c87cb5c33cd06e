import type { QaConfig } from '../../core/config/schema.js';

/** The checks an import runs; each has a level in the dataset's `qa` config. */
export type QaRule =
  | 'rejectedFeatures'
  | 'repairedGeometries'
  | 'duplicateKeys'
  | 'unknownClassCodes'
  | 'areaMismatch'
  | 'slivers'
  | 'overlaps'
  | 'outsideCounty'
  | 'coarseCoordinates'
  | 'precisionLoss';

export interface QaExample {
  readonly file: string;
  readonly feature: number;
  readonly detail: string;
}

export interface QaFinding {
  readonly rule: QaRule;
  readonly level: 'fail' | 'warn';
  /** Features concerned. */
  readonly count: number;
  readonly message: string;
  /** The first few features concerned, so that they can be found in the delivery. */
  readonly examples: readonly QaExample[];
}

/** Kept as JSON with the import's job record; `formatQaReport` makes it readable. */
export interface QaReport {
  readonly featuresRead: number;
  readonly featuresLoaded: number;
  readonly featuresRejected: number;
  readonly findings: readonly QaFinding[];
  /** False when any finding has level `fail`: the version is not published. */
  readonly passed: boolean;
}

export function levelOf(qa: QaConfig, rule: QaRule): 'fail' | 'warn' | 'off' {
  return qa[rule];
}

export function formatQaReport(report: QaReport): string {
  const lines = [
    `features read ${report.featuresRead}, loaded ${report.featuresLoaded}, rejected ${report.featuresRejected}`,
    report.findings.length === 0 ? 'no findings' : `${report.findings.length} finding(s):`,
  ];
  for (const finding of report.findings) {
    lines.push(`  [${finding.level.toUpperCase()}] ${finding.rule}: ${finding.message}`);
    for (const example of finding.examples) lines.push(`      ${example.file}, feature ${example.feature}: ${example.detail}`);
    if (finding.count > finding.examples.length) lines.push(`      … and ${finding.count - finding.examples.length} more`);
  }
  lines.push(report.passed ? 'QA passed' : 'QA FAILED: nothing was published');
  return lines.join('\n');
}
