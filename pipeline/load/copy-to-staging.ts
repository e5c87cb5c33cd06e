import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { escapeIdentifier } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from '../../core/db/pool.js';
import { isDatabaseUnavailable, translateDatabaseError } from '../../core/db/database-errors.js';
import { ImportError } from '../../core/errors.js';
import type { FeatureSource } from '../readers/feature-source.js';
import { createHexEwkbWriter } from './hex-ewkb.js';

/**
 * Streams a source's features into an UNLOGGED staging table with COPY: one row per feature,
 * geometry as hex EWKB straight into a `geometry` column in the source CRS (the doubles as the
 * reader read them; PostGIS reads hex WKB far faster than it parses GeoJSON, and the staging
 * rows are read twice: coordinate checks, work table), attributes as jsonb. Everything after
 * this happens in SQL. Memory stays flat: COPY's backpressure paces the reader.
 */
export const STAGING_COLUMNS = '(source_file, source_srid, feature_index, geom_src, properties)';

/**
 * Rows are sent in chunks of about this many characters: pg-copy-streams sends every chunk it
 * is given as a CopyData message of its own, and one per feature made two socket writes per
 * feature the largest item of the import's CPU profile (bench/README.md, bench:import).
 */
const CHUNK_CHARS = 64 * 1024;

export function stagingTableDdl(qualifiedTable: string): string {
  return `CREATE UNLOGGED TABLE ${qualifiedTable} (
    source_file   text NOT NULL,
    source_srid   integer NOT NULL,
    feature_index integer NOT NULL,
    geom_src      geometry,
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
  const rowStart = `${copyText(source.file)}\t${sourceSrid}\t`;
  const toHexEwkb = createHexEwkbWriter();
  async function* chunks(): AsyncGenerator<string> {
    let chunk = '';
    for await (const feature of source.features(signal)) {
      count++;
      const geometry = feature.geometry ? toHexEwkb(feature.geometry, sourceSrid) : '\\N';
      chunk += `${rowStart}${feature.index}\t${geometry}\t${copyJson(JSON.stringify(feature.properties))}\n`;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
      if (onProgress && count % 1000 === 0) onProgress({ features: count });
    }
    if (chunk) yield chunk;
  }
  const copy = client.query(copyFrom(`COPY ${qualifiedTable} ${STAGING_COLUMNS} FROM STDIN`));
  try {
    await pipeline(Readable.from(chunks(), { objectMode: false }), copy, ...(signal ? [{ signal }] : []));
  } catch (error) {
    if (error instanceof ImportError) throw error;
    // A lost database is not the delivery's fault: no feature to blame, and retrying later helps (503, CLI exit 6).
    if (isDatabaseUnavailable(error)) translateDatabaseError(error, `loading ${source.file} into the staging table`);
    throw new ImportError({ file: source.file, feature: count || undefined }, `loading into the staging table failed: ${(error as Error).message}`, { cause: error });
  }
  onProgress?.({ features: count });
  return count;
}

/** COPY text format: backslash is the escape character. */
function copyText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** JSON text holds no raw tab, newline or carriage return (JSON.stringify escapes them), so only backslashes need escaping. */
function copyJson(json: string): string {
  return json.includes('\\') ? json.replace(/\\/g, '\\\\') : json;
}

export function stagingTableName(datasetId: string, jobId: number): string {
  return escapeIdentifier(`${datasetId}__staging_${jobId}`);
}
