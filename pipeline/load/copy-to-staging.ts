import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { escapeIdentifier } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from '../../core/db/pool.js';
import { isDatabaseUnavailable, translateDatabaseError } from '../../core/db/database-errors.js';
import { ImportError } from '../../core/errors.js';
import type { FeatureSource } from '../readers/feature-source.js';

/**
 * Streams a source's features into an UNLOGGED staging table with COPY: one row per feature,
 * geometry as GeoJSON text (full double precision: JSON.stringify writes the shortest text that
 * reads back as the same double), attributes as jsonb. Everything after this happens in SQL.
 * Memory stays flat: COPY's backpressure paces the reader.
 */
export const STAGING_COLUMNS = '(source_file, source_srid, feature_index, geometry_json, properties)';

export function stagingTableDdl(qualifiedTable: string): string {
  return `CREATE UNLOGGED TABLE ${qualifiedTable} (
    source_file   text NOT NULL,
    source_srid   integer NOT NULL,
    feature_index integer NOT NULL,
    geometry_json text,
    properties    jsonb NOT NULL
  )`;
}

export interface CopyProgress {
  /** Features copied so far from this source. */
  readonly features: number;
}

export async function copyToStaging(
  client: PoolClient,
  qualifiedTable: string,
  source: FeatureSource,
  sourceSrid: number,
  { signal, onProgress }: { signal?: AbortSignal; onProgress?: (progress: CopyProgress) => void } = {},
): Promise<number> {
  let count = 0;
  const file = copyText(source.file);
  async function* rows(): AsyncGenerator<string> {
    for await (const feature of source.features(signal)) {
      count++;
      const geometry = feature.geometry ? copyText(JSON.stringify(feature.geometry)) : '\\N';
      yield `${file}\t${sourceSrid}\t${feature.index}\t${geometry}\t${copyText(JSON.stringify(feature.properties))}\n`;
      if (onProgress && count % 1000 === 0) onProgress({ features: count });
    }
  }
  const copy = client.query(copyFrom(`COPY ${qualifiedTable} ${STAGING_COLUMNS} FROM STDIN`));
  try {
    await pipeline(Readable.from(rows(), { objectMode: false }), copy, ...(signal ? [{ signal }] : []));
  } catch (error) {
    if (error instanceof ImportError) throw error;
    // A lost database is not the delivery's fault: no feature to blame, and retrying later helps (503, CLI exit 6).
    if (isDatabaseUnavailable(error)) translateDatabaseError(error, `loading ${source.file} into the staging table`);
    throw new ImportError({ file: source.file, feature: count || undefined }, `loading into the staging table failed: ${(error as Error).message}`, { cause: error });
  }
  onProgress?.({ features: count });
  return count;
}

/** COPY text format: backslash is the escape character; JSON text holds no raw tab or newline. */
function copyText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function stagingTableName(datasetId: string, jobId: number): string {
  return escapeIdentifier(`${datasetId}__staging_${jobId}`);
}
