import { join } from 'node:path';
import { projectRoot } from '../../core/project-root.js';
import type { BenchDelivery } from './import-delivery.js';
import { CHILD_RESULT_MARKER, type ChildResult, type ImportRun } from './import-run.js';
import { runMeasured } from './measured-process.js';

const CHILD_SCRIPT = join(projectRoot, 'bench', 'support', 'import-child.ts');

export interface PipelineSideOptions {
  readonly databaseUrl: string;
  /** The import root the delivery's source path is relative to. */
  readonly dataDir: string;
  readonly signal?: AbortSignal;
}

/**
 * One import by the pipeline: `node --import tsx bench/support/import-child.ts` in a process of
 * its own, whose maxRSS is then the import's alone (plus Node, tsx and the modules). Its log goes
 * to our stderr; rejects when it fails or prints no result.
 */
export async function runPipelineImport(delivery: BenchDelivery, run: number, { databaseUrl, dataDir, signal }: PipelineSideOptions): Promise<ImportRun> {
  const measured = await runMeasured(process.execPath, ['--import', 'tsx', CHILD_SCRIPT], {
    cwd: projectRoot,
    env: {
      ...process.env,
      BENCH_IMPORT_DATABASE_URL: databaseUrl,
      BENCH_IMPORT_ROOT: dataDir,
      BENCH_IMPORT_SOURCE_PATH: delivery.sourcePath,
    },
    ...(signal ? { signal } : {}),
  });
  const lines = measured.stdout.split('\n');
  // The child's log (pino writes to stdout) is passed on; the result line is ours.
  for (const line of lines.filter((candidate) => candidate && !candidate.startsWith(CHILD_RESULT_MARKER))) console.error(line);
  if (measured.exitCode !== 0) throw new Error(`the pipeline's import exited with code ${measured.exitCode}; its messages are above`);
  const resultLine = lines.find((candidate) => candidate.startsWith(CHILD_RESULT_MARKER));
  if (!resultLine) throw new Error('the pipeline\'s import printed no result line');
  const child = JSON.parse(resultLine.slice(CHILD_RESULT_MARKER.length)) as ChildResult;
  return {
    side: 'pipeline',
    run,
    features: child.featuresLoaded,
    seconds: child.seconds,
    processSeconds: measured.seconds,
    peakRssBytes: child.maxRssBytes,
    rssSource: 'ru_maxrss',
    cpuSeconds: child.cpuSeconds,
    child,
  };
}
