import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { rollbackDataset } from '../../../pipeline/publish/dataset-versions.js';
import { startAnalysis, type AnalysisHandle } from '../../../server/analysis/start-analysis.js';
import { withClient } from '../../../core/db/with-client.js';
import { createTestDatabase, openMigratedPool, silentLogger, type TestDatabase } from '../../support/test-database.js';
import { publishConflictFixture, RED_LINE_FARMLAND_V2_M2, RED_LINE_V2 } from '../../pipeline/analysis/conflict-fixture.js';
import { analysisTestConfig, line, LINE_COLUMNS, publishRectangles } from '../../pipeline/analysis/rectangle-fixtures.js';

/**
 * The server keeps the analysis in step with publishes it hears of (LISTEN planmap_publish),
 * including those that no importer analysed: rollbacks, and publishes from other tools.
 */
describe('startAnalysis (server/analysis)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let config: AppConfig;
  let analysis: AnalysisHandle;

  before(async function () {
    this.timeout(120_000);
    database = await createTestDatabase('analysis_listen');
    config = analysisTestConfig(database.url);
    pool = await openMigratedPool(config);
    await publishConflictFixture(pool, config);
    analysis = await startAnalysis({ pool, config, logger: silentLogger, sampleParcels: null });
  });

  after(async () => {
    await analysis.stop();
    await pool.end();
    await database.drop();
  });

  /** Waits (polling the database, at most 60 s) until conflicts version `version` is live. */
  async function conflictsLive(version: number): Promise<void> {
    for (let attempt = 0; attempt < 600; attempt++) {
      await analysis.idle();
      const { rows } = await pool.query<{ live_version: number | null }>(`SELECT live_version FROM meta.datasets WHERE id = 'conflicts'`);
      if (rows[0]?.live_version === version) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`conflicts version ${version} never went live`);
  }

  async function redLineFarmlandM2(): Promise<number> {
    const { rows } = await pool.query<{ area_m2: number }>(`SELECT area_m2 FROM live.conflicts WHERE conflict_type = 'red_line_farmland'`);
    return rows[0]!.area_m2;
  }

  it('analyses what was published before it started', async () => {
    await conflictsLive(1);
    expect(await redLineFarmlandM2()).to.be.closeTo(10_000, 0.01);
  });

  it('analyses a publish made without the import hook', async () => {
    await publishRectangles(pool, config, 'stbhhx', LINE_COLUMNS, [line('R1', RED_LINE_V2)]);
    await conflictsLive(2);
    expect(await redLineFarmlandM2()).to.be.closeTo(RED_LINE_FARMLAND_V2_M2, 0.01);
  });

  it('analyses a rollback', async () => {
    await withClient(pool, silentLogger, (client) => rollbackDataset(client, 'stbhhx'));
    await conflictsLive(3);
    expect(await redLineFarmlandM2()).to.be.closeTo(10_000, 0.01);
    const { rows } = await pool.query<{ inputs: Record<string, number> }>(`SELECT inputs FROM meta.analysis_runs WHERE kind = 'conflicts' ORDER BY id DESC LIMIT 1`);
    expect(rows[0]!.inputs.stbhhx).to.equal(1);
  });
});
