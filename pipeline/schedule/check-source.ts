import type { AppConfig } from '../../core/config/load-config.js';
import type { DatasetConfig } from '../../core/config/schema.js';
import { ImportError } from '../../core/errors.js';
import { resolveSourceFiles } from '../import/source-files.js';
import type { ImportHistory } from './import-history.js';
import { FileHashCache, fingerprintSourceFiles } from './source-fingerprint.js';

/** What a scheduled check found in a dataset's source. */
export type SourceCheck =
  | { readonly state: 'changed'; readonly fingerprint: string; readonly files: number }
  | { readonly state: 'unchanged'; readonly fingerprint: string; readonly jobId: number }
  /** The same delivery failed QA last time; it is not retried until it changes. */
  | { readonly state: 'refused'; readonly fingerprint: string; readonly jobId: number }
  /** Nothing to read (empty inbox, a file vanished while hashing): no import, no job. */
  | { readonly state: 'unavailable'; readonly problem: string };

export type CheckSource = (dataset: DatasetConfig) => Promise<SourceCheck>;

/**
 * Resolves the dataset's delivery files as the importer would, fingerprints them (re-hashing
 * only files whose size or modification time moved since the previous check of this process)
 * and compares with the import history.
 */
export function sourceChecker(config: AppConfig, history: ImportHistory, cache: FileHashCache = new FileHashCache()): CheckSource {
  return async (dataset) => {
    let fingerprint: string;
    let files: number;
    try {
      const source = await fingerprintSourceFiles(config, await resolveSourceFiles(config, dataset), cache);
      fingerprint = source.fingerprint;
      files = source.files.length;
    } catch (error) {
      if (error instanceof ImportError) return { state: 'unavailable', problem: error.message };
      throw error;
    }
    const verdict = await history.verdictOn(dataset.id, fingerprint);
    if (verdict.state === 'imported') return { state: 'unchanged', fingerprint, jobId: verdict.jobId };
    if (verdict.state === 'refused') return { state: 'refused', fingerprint, jobId: verdict.jobId };
    return { state: 'changed', fingerprint, files };
  };
}
