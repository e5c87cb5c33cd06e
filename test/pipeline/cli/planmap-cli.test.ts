import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { readConfigFile, resolveConfigFile } from '../../../core/config/load-config.js';
import { projectRoot } from '../../../core/project-root.js';
import type { Pool } from '../../../core/db/pool.js';
import { createTestDatabase, openMigratedPool, testConfig, type TestDatabase } from '../../support/test-database.js';
import { parcelRow, prjOf, writeParcelShapefile } from '../import/delivery-fixture.js';

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('npm run cli (pipeline/cli/planmap-cli)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let dir: string;
  let configFile: string;

  before(async () => {
    database = await createTestDatabase('cli');
    dir = await mkdtemp(join(tmpdir(), 'planmap-cli-'));
    const raw = readConfigFile(resolveConfigFile(undefined)) as Record<string, unknown>;
    raw.pipeline = { importRoots: [join(dir, 'inbox')] };
    (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: 'dltb' };
    // The fixture's parcels have no ZLDWDM; the analysis after an import counts them by BSM instead.
    raw.analysis = { ...(raw.analysis as Record<string, unknown>), landuseCountyField: 'BSM' };
    configFile = join(dir, 'planmap.yaml');
    await writeFile(configFile, JSON.stringify(raw));
    pool = await openMigratedPool(testConfig(database.url));
  });

  after(async () => {
    await pool.end();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  function cli(...args: string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'pipeline', 'cli', 'planmap-cli.ts'), ...args], {
        cwd: projectRoot,
        env: { ...process.env, CONFIG_FILE: configFile, DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function deliver(parcels: ReturnType<typeof parcelRow>): Promise<void> {
    await rm(join(dir, 'inbox', 'dltb'), { recursive: true, force: true });
    await writeParcelShapefile(join(dir, 'inbox', 'dltb', 'DLTB'), parcels, { prj: await prjOf(pool, 4527) });
  }

  it('prints its usage with --help and exits 0', async () => {
    const run = await cli('--help');
    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(/import <dataset>/).and.match(/rollback <dataset> \[version\]/).and.match(/versions <dataset>/);
  });

  it('exits 2 for an unknown command or dataset, saying which', async () => {
    expect(await cli('explode', 'landuse')).to.include({ code: 2 });
    const unknown = await cli('import', 'roads');
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/no dataset "roads"/);
  });

  it('imports a delivery, prints the QA summary and exits 0', async () => {
    await deliver(parcelRow(10));
    const run = await cli('import', 'landuse');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/features read 10, loaded 10, rejected 0/).and.match(/QA passed/).and.match(/landuse: version 1 is live/);
    // The analysis follows the import (it is not part of importDataset): awaited and reported.
    expect(run.stdout + run.stderr).to.match(/landuse: refreshing the analysis/).and.match(/analysis refreshed in [0-9.]+ s: conflicts run [0-9]+/);
    const { rows } = await pool.query<{ inputs: Record<string, number> }>(
      `SELECT inputs FROM meta.analysis_runs WHERE kind = 'conflicts' AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`,
    );
    expect(rows[0]?.inputs.landuse).to.equal(1);
  });

  it('exits 3 when QA fails, and publishes nothing', async () => {
    await deliver(parcelRow(4, { dlbm: '9999', dlmc: '未知' }));
    const run = await cli('import', 'landuse');
    expect(run.code).to.equal(3);
    expect(run.stdout).to.match(/\[FAIL\] unknownClassCodes/).and.match(/QA FAILED: nothing was published/);
  });

  it('exits 4 when the delivery is refused, naming the file', async () => {
    await deliver(parcelRow(2, { x0: 470_000.5 }));
    const run = await cli('import', 'landuse');
    expect(run.code).to.equal(4);
    expect(run.stderr).to.match(/DLTB\.shp: /);
  });

  it('lists versions and rolls back; exits 7 when there is nothing to roll back to', async () => {
    await deliver(parcelRow(6));
    expect((await cli('import', 'landuse')).code).to.equal(0);
    const versions = await cli('versions', 'landuse');
    expect(versions.stdout).to.match(/^\s+2\s+live\s+6 features/m).and.match(/^\s+1\s+retired\s+10 features/m);
    const rollback = await cli('rollback', 'landuse');
    expect(rollback).to.include({ code: 0 });
    expect(rollback.stdout).to.match(/landuse: version 1 is live/);
    const nothing = await cli('rollback', 'landuse');
    expect(nothing.code).to.equal(7);
    expect(nothing.stderr).to.match(/no earlier version/);
  });
});
