import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { escapeIdentifier } from 'pg';
import type { Pool } from '../../core/db/pool.js';
import type { BenchDelivery } from './import-delivery.js';
import type { ImportRun } from './import-run.js';
import { runMeasured } from './measured-process.js';

/** The table ogr2ogr writes, in the import database's public schema, replaced at every run. */
export const OGR_TABLE = 'bench_ogr_dltb';
export const OGR_TARGET_SRS = 'EPSG:4490';

const execFileAsync = promisify(execFile);

/** ogr2ogr is not installed: the benchmark exits 2 with what to install. */
export class MissingGdalError extends Error {
  constructor() {
    super('the benchmark compares with GDAL\'s ogr2ogr, which is not installed: run `apt-get install -y gdal-bin` (as root)');
    this.name = 'MissingGdalError';
  }
}

/** `GDAL 3.6.2, released 2023/01/02`, or MissingGdalError. */
export async function gdalVersion(env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ogr2ogr', ['--version'], { env });
    return stdout.trim();
  } catch {
    throw new MissingGdalError();
  }
}

/**
 * The ogr2ogr command of the issue: a PostgreSQL table in EPSG:4490 loaded with COPY
 * (PG_USE_COPY), multi-polygons, a GiST index, the table replaced if it exists. The attribute
 * encoding comes from the delivery's .cpg (GBK), as a county's delivery would have it; the
 * benchmark checks the Chinese values afterwards. Everything else is ogr2ogr's default
 * (-gt: 100,000 features per transaction; column names laundered to lower case).
 */
export function ogr2ogrArgs(delivery: BenchDelivery, databaseUrl: string): string[] {
  return [
    '-f', 'PostgreSQL', pgConnection(databaseUrl), delivery.shpPath,
    '-nln', OGR_TABLE, '-overwrite',
    '-t_srs', OGR_TARGET_SRS,
    '-nlt', 'PROMOTE_TO_MULTI',
    '-lco', 'GEOMETRY_NAME=geom',
    '-lco', 'SPATIAL_INDEX=GIST',
    '--config', 'PG_USE_COPY', 'YES',
  ];
}

/** One import by GDAL; features are counted in the table afterwards. */
export async function runGdalImport(delivery: BenchDelivery, run: number, pool: Pool, databaseUrl: string, signal?: AbortSignal): Promise<ImportRun> {
  const url = new URL(databaseUrl);
  // The password goes through the environment, not the command line (visible in ps).
  const env = { ...process.env, ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}) };
  const measured = await runMeasured('ogr2ogr', ogr2ogrArgs(delivery, databaseUrl), { env, ...(signal ? { signal } : {}) });
  if (measured.exitCode !== 0) throw new Error(`ogr2ogr exited with code ${measured.exitCode}: ${measured.stderr.trim()}`);
  const { rows } = await pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM public.${escapeIdentifier(OGR_TABLE)}`);
  return {
    side: 'GDAL',
    run,
    features: rows[0]!.count,
    seconds: measured.seconds,
    processSeconds: measured.seconds,
    peakRssBytes: measured.sampledPeakRssBytes,
    rssSource: 'VmHWM sampled',
    cpuSeconds: measured.sampledCpuSeconds,
    child: null,
  };
}

/** `PG:dbname=... host=... port=... user=...`, each value quoted as libpq's keyword=value syntax wants. */
function pgConnection(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const parts: [string, string][] = [['dbname', decodeURIComponent(url.pathname.replace(/^\//, ''))]];
  if (url.hostname) parts.push(['host', url.hostname]);
  if (url.port) parts.push(['port', url.port]);
  if (url.username) parts.push(['user', decodeURIComponent(url.username)]);
  return `PG:${parts.map(([key, value]) => `${key}='${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(' ')}`;
}
