import { join } from 'node:path';
import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import { isDatabaseUnavailable } from '../../../core/db/database-errors.js';
import { createPool, type Pool } from '../../../core/db/pool.js';
import { DatabaseUnavailableError } from '../../../core/errors.js';
import { importDataset, type ImportOptions } from '../../../pipeline/import/import-dataset.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { silentLogger } from '../../support/test-database.js';
import { awaitSessionsGone } from '../schedule/lock-holder.js';
import { createFaultFixture, leftoverTables, liveSnapshot, parcelRow, type FaultFixture } from './fault-fixture.js';

const PROXIED_APPLICATION = 'planmap-fault-proxied';

/**
 * The database connection of an import cut in the middle (a TCP proxy in front of the shared
 * PostgreSQL drops every connection, as a database restart or a network failure would; the
 * cluster itself, which other tests use, is left alone).
 */
describe('the database connection lost mid-import (pipeline/faults)', function () {
  this.timeout(300_000);
  let fixture: FaultFixture;
  let proxy: TcpProxy;
  let proxiedConfig: AppConfig;
  let proxiedPool: Pool;

  before(async () => {
    fixture = await createFaultFixture('dblost');
    await fixture.deliver(parcelRow(300, { perRow: 30 }));
    expect((await importDataset(fixture.pool, fixture.config, 'landuse', { trigger: 'cli', startedBy: 'test' }, silentLogger)).version).to.equal(1);
    await fixture.deliver(parcelRow(1500, { perRow: 50, dlbm: '0103', dlmc: '旱地' }));
    const target = new URL(fixture.database.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(fixture.database.url);
    viaProxy.port = String(proxy.port);
    proxiedConfig = fixture.configFor(viaProxy.toString());
    proxiedPool = createPool({ url: proxiedConfig.databaseUrl, database: proxiedConfig.database, applicationName: PROXIED_APPLICATION, logger: silentLogger });
  });

  after(async () => {
    await proxiedPool?.end();
    await proxy?.stop();
    await fixture?.close();
  });

  const CLI: ImportOptions = { trigger: 'cli', startedBy: 'test' };

  /** Imports through the proxy, cutting it when `cutWhen` says so; returns what the import threw. */
  async function importAndCut(cutWhen: (options: ImportOptions) => { options: ImportOptions; stopWatching: () => void }): Promise<unknown> {
    const { options, stopWatching } = cutWhen(CLI);
    try {
      return await importDataset(proxiedPool, proxiedConfig, 'landuse', options, silentLogger).then(
        () => expect.fail('the import succeeded although its connection was cut'),
        (error: unknown) => error,
      );
    } finally {
      stopWatching();
      // The server side ends the cut session (rolling back what it had open) once it notices.
      await awaitSessionsGone(fixture.database.url, PROXIED_APPLICATION);
      await proxy.start();
    }
  }

  async function expectNextImportPublishes(): Promise<void> {
    const before = await liveSnapshot(fixture.pool);
    const next = Math.max(...before.versions.map((row) => row.version)) + 1;
    const result = await importDataset(proxiedPool, proxiedConfig, 'landuse', CLI, silentLogger);
    expect(result.version).to.equal(next);
    expect(await liveSnapshot(fixture.pool)).to.include({ liveVersion: next, count: 1500 });
    expect(await leftoverTables(fixture.pool)).to.deep.equal([]);
  }

  async function lastJobs(count: number): Promise<{ status: string; error: string | null }[]> {
    const { rows } = await fixture.pool.query<{ status: string; error: string | null }>('SELECT status, error FROM meta.import_jobs ORDER BY id DESC LIMIT $1', [count]);
    return rows.reverse();
  }

  describe('while the delivery is being copied into staging', () => {
    it('fails with a database error, leaves live untouched, and the next import publishes', async () => {
      const baseline = await liveSnapshot(fixture.pool);
      const error = await importAndCut((options) => ({
        options: {
          ...options,
          onProgress: ({ features }) => {
            if (features >= 1000) void proxy.stop();
          },
        },
        stopWatching: () => undefined,
      }));
      // Not an ImportError blaming feature 1001 of the delivery: the database went away (CLI exit 6).
      expect(error).to.be.instanceOf(DatabaseUnavailableError);
      expect((error as Error).message).to.equal(`database unavailable while loading ${join(fixture.dir, 'inbox', 'dltb', 'DLTB.shp')} into the staging table`);
      expect(await liveSnapshot(fixture.pool)).to.deep.equal(baseline);
      await expectNextImportPublishes();
      // The cut job could not record its own end; the next run of the dataset did.
      expect((await lastJobs(2))[0]).to.deep.equal({ status: 'failed', error: 'interrupted: the importing process ended before finishing' });
    });
  });

  describe('inside the publish transaction', () => {
    it('rolls the new version back, leaves live untouched, and the next import publishes', async () => {
      await fixture.deliver(parcelRow(1500, { perRow: 50, dlbm: '0101', dlmc: '水田' }));
      const baseline = await liveSnapshot(fixture.pool);
      const next = Math.max(...baseline.versions.map((row) => row.version)) + 1;
      const error = await importAndCut((options) => {
        // Watches (every 5 ms, from another connection) for the import's session inside a
        // transaction that has written (the version table being filled), then cuts.
        let watching = true;
        const watch = async () => {
          while (watching) {
            const { rows } = await fixture.pool.query(
              `SELECT 1 FROM pg_stat_activity
                WHERE application_name = $1 AND backend_xid IS NOT NULL AND xact_start < query_start`,
              [PROXIED_APPLICATION],
            );
            if (rows.length > 0) {
              await proxy.stop();
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        };
        const watcher = watch();
        return { options, stopWatching: () => { watching = false; void watcher; } };
      });
      expect(isDatabaseUnavailable(error), (error as Error).message).to.equal(true);
      expect(await liveSnapshot(fixture.pool)).to.deep.equal(baseline);
      const { rows } = await fixture.pool.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [`data.landuse__v${next}`]);
      expect(rows[0]!.exists).to.equal(false);
      await expectNextImportPublishes();
    });
  });
});
