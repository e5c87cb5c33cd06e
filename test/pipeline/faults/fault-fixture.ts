import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { readConfigFile, resolveConfigFile, type AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { projectRoot } from '../../../core/project-root.js';
import { createTestDatabase, openMigratedPool, testConfig, type TestDatabase } from '../../support/test-database.js';
import { parcelRow, prjOf, writeParcelShapefile } from '../import/delivery-fixture.js';

/**
 * A per-test database, an import root with a `landuse` delivery, and a configuration file for
 * CLI processes (`npx tsx pipeline/cli/planmap-cli.ts`) pointing at both.
 */
export interface FaultFixture {
  readonly database: TestDatabase;
  readonly pool: Pool;
  readonly config: AppConfig;
  readonly dir: string;
  readonly configFile: string;
  /** The same configuration with another database URL (a proxy in front of the same database). */
  configFor(databaseUrl: string): AppConfig;
  deliver(parcels: ReturnType<typeof parcelRow>): Promise<void>;
  /** Starts `planmap-cli <args>`; `exited` settles with its exit code and output. */
  startCli(...args: string[]): CliProcess;
  close(): Promise<void>;
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export async function createFaultFixture(label: string): Promise<FaultFixture> {
  const database = await createTestDatabase(label);
  const dir = await mkdtemp(join(tmpdir(), `planmap-${label}-`));
  const adjust = (raw: Record<string, unknown>) => {
    raw.pipeline = { importRoots: [join(dir, 'inbox')] };
    (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: 'dltb' };
  };
  const config = testConfig(database.url, adjust);
  const raw = readConfigFile(resolveConfigFile(undefined)) as Record<string, unknown>;
  adjust(raw);
  const configFile = join(dir, 'planmap.yaml');
  await writeFile(configFile, JSON.stringify(raw));
  const pool = await openMigratedPool(config);
  return {
    database,
    pool,
    config,
    dir,
    configFile,
    configFor: (databaseUrl) => testConfig(databaseUrl, adjust),
    async deliver(parcels) {
      await rm(join(dir, 'inbox', 'dltb'), { recursive: true, force: true });
      await writeParcelShapefile(join(dir, 'inbox', 'dltb', 'DLTB'), parcels, { prj: await prjOf(pool, 4527) });
    },
    startCli(...args) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'pipeline', 'cli', 'planmap-cli.ts'), ...args], {
        cwd: projectRoot,
        env: { ...process.env, CONFIG_FILE: configFile, DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
      return { child, exited };
    },
    async close() {
      await pool.end();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Everything a reader of the dataset can see, to compare before and after a fault. */
export interface LiveSnapshot {
  readonly liveVersion: number | null;
  readonly versions: { version: number; status: string; feature_count: string; table_name: string }[];
  readonly count: number;
  /** md5 over every live row (id, key, class, geometry), in id order. */
  readonly checksum: string | null;
}

export async function liveSnapshot(pool: Pool, datasetId = 'landuse'): Promise<LiveSnapshot> {
  const { rows } = await pool.query<{ live_version: number | null }>('SELECT live_version FROM meta.datasets WHERE id = $1', [datasetId]);
  const { rows: versions } = await pool.query<LiveSnapshot['versions'][number]>(
    'SELECT version, status, feature_count::text, table_name FROM meta.dataset_versions WHERE dataset_id = $1 ORDER BY version',
    [datasetId],
  );
  const liveVersion = rows[0]?.live_version ?? null;
  if (liveVersion === null) return { liveVersion, versions, count: 0, checksum: null };
  const { rows: data } = await pool.query<{ count: number; checksum: string }>(
    `SELECT count(*)::int AS count,
            md5(string_agg(fid::text || '|' || "BSM" || '|' || "DLBM" || '|' || encode(ST_AsEWKB(geom), 'hex'), ',' ORDER BY fid)) AS checksum
       FROM live.${datasetId}`,
  );
  return { liveVersion, versions, count: data[0]!.count, checksum: data[0]!.checksum };
}

/** Staging and work tables left in `data` (a killed run's, until the next run drops them). */
export async function leftoverTables(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'data' AND tablename ~ '__(staging|work)_' ORDER BY 1`);
  return rows.map((row) => row.tablename);
}

/**
 * Polls (every 10 ms, at most 60 s) until a job newer than `afterJobId` is running, or the
 * process ended first. Returns the job id, or null when the process ended without one.
 */
export async function awaitRunningJob(pool: Pool, afterJobId: number, process: CliProcess): Promise<number | null> {
  let ended = false;
  void process.exited.then(() => (ended = true));
  for (let i = 0; i < 6000 && !ended; i++) {
    const { rows } = await pool.query<{ id: string }>(`SELECT id FROM meta.import_jobs WHERE id > $1 AND status = 'running' ORDER BY id LIMIT 1`, [afterJobId]);
    if (rows[0]) return Number(rows[0].id);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(ended, 'no import job started within 60 s').to.equal(true);
  return null;
}

export async function lastJobId(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ id: string | null }>('SELECT max(id) AS id FROM meta.import_jobs');
  return Number(rows[0]!.id ?? 0);
}

export { parcelRow };
