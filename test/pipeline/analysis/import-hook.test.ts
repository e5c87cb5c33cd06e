import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { analyseAfterPublish, refreshAnalysis } from '../../../pipeline/analysis/refresh-analysis.js';
import { importDataset } from '../../../pipeline/import/import-dataset.js';
import { createTestDatabase, openMigratedPool, silentLogger, type TestDatabase } from '../../support/test-database.js';
import { prjOf, writeParcelShapefile } from '../import/delivery-fixture.js';
import { publishConflictFixture, RED_LINE_FARMLAND_V2_M2, RED_LINE_V2 } from './conflict-fixture.js';
import { analysisTestConfig, X0, Y0, ZONE_SRID } from './rectangle-fixtures.js';

/**
 * A delivery of the red line imported by the pipeline: the import ends at its publish, and the
 * analysis follows as a step of its own (analyseAfterPublish: the CLI after the import, a
 * server's publish listener).
 */
describe('importDataset of an analysis input (pipeline/import -> pipeline/analysis)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let config: AppConfig;
  let inbox: string;

  before(async function () {
    this.timeout(120_000);
    database = await createTestDatabase('analysis_import');
    inbox = await mkdtemp(join(tmpdir(), 'planmap-analysis-inbox-'));
    config = analysisTestConfig(database.url, (raw) => {
      raw.pipeline = { importRoots: [inbox] };
      const redLine = (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'stbhhx')!;
      redLine.source = { path: 'stbhhx' };
      // The fixture's corners are whole hectometres, which the check takes for coarse coordinates.
      redLine.qa = { coarseCoordinates: 'off' };
    });
    pool = await openMigratedPool(config);
    await publishConflictFixture(pool, config);
    await refreshAnalysis(pool, config, silentLogger);
  });

  after(async () => {
    await pool.end();
    await database.drop();
    await rm(inbox, { recursive: true, force: true });
  });

  it('ends at the publish; analyseAfterPublish then publishes the next conflicts version, computed from the imported version', async () => {
    const [x1, y1, x2, y2] = RED_LINE_V2;
    await writeParcelShapefile(join(inbox, 'stbhhx', 'STBHHX'), [
      { bsm: 'R1', dlbm: '0301', dlmc: '乔木林地', x: X0 + x1, y: Y0 + y1, width: x2 - x1, height: y2 - y1 },
    ], { prj: await prjOf(pool, ZONE_SRID), cpg: true });
    const result = await importDataset(pool, config, 'stbhhx', { trigger: 'cli', startedBy: 'test' }, silentLogger);
    expect(result.version, JSON.stringify(result.report)).to.equal(2);
    const lastRunInputs = async () => (await pool.query<{ inputs: Record<string, number> }>(
      `SELECT inputs FROM meta.analysis_runs WHERE kind = 'conflicts' ORDER BY id DESC LIMIT 1`,
    )).rows[0]!.inputs;
    // The import job is done at the publish: no analysis ran inside it.
    expect((await lastRunInputs()).stbhhx).to.equal(1);
    const refreshed = await analyseAfterPublish(pool, config, 'stbhhx', silentLogger);
    expect(refreshed?.conflicts?.inputs.stbhhx).to.equal(2);
    expect(await lastRunInputs()).to.deep.include({ stbhhx: 2 });
    const { rows: runs } = await pool.query<{ inputs: Record<string, number>; output_version: number }>(
      `SELECT inputs, output_version FROM meta.analysis_runs WHERE kind = 'conflicts' ORDER BY id DESC LIMIT 1`,
    );
    expect(runs[0]!.inputs.stbhhx).to.equal(2);
    expect(runs[0]!.output_version).to.equal(2);
    const { rows } = await pool.query<{ area_m2: number }>(`SELECT area_m2 FROM live.conflicts WHERE conflict_type = 'red_line_farmland'`);
    expect(rows).to.have.length(1);
    expect(rows[0]!.area_m2).to.be.closeTo(RED_LINE_FARMLAND_V2_M2, 0.01);
  });
});
