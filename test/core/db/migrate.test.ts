import { expect } from 'chai';
import type pg from 'pg';
import { qualifiedLiveView, qualifiedVersionTable, versionTableDdl, versionTableName } from '../../../core/db/dataset-layout.js';
import { migrate } from '../../../core/db/migrate.js';
import { migrations } from '../../../core/db/migrations/index.js';
import { createPool, type Pool, type PoolClient } from '../../../core/db/pool.js';
import { createTestDatabase, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';

/**
 * Migrations and what they create, each on a database of its own made empty for this file
 * (not the shared sample database, which is already migrated).
 */

function openPool(database: TestDatabase): Pool {
  const config = testConfig(database.url);
  return createPool({ url: config.databaseUrl, database: config.database, applicationName: 'planmap-test-migrate', logger: silentLogger });
}

async function migrationRows(pool: Pool): Promise<Array<{ id: number; name: string }>> {
  const { rows } = await pool.query<{ id: number; name: string }>('SELECT id, name FROM public.planmap_migrations ORDER BY id, name');
  return rows;
}

const ALL_MIGRATIONS = migrations.map(({ id, name }) => ({ id, name }));

/** The error a statement fails with (fails the test when it succeeds). */
async function failureOf(run: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await run;
  } catch (error) {
    expect(error).to.be.instanceOf(Error);
    return error as Error & { code?: string };
  }
  expect.fail('the statement succeeded');
}

/**
 * Resolves once the backend `waiterPid` is waiting for a lock held by `holderPid`: a statement
 * sent to it has really started and is blocked. Polls pg_blocking_pids, no timers involved.
 */
async function untilBlocked(pool: Pool, waiterPid: number, holderPid: number): Promise<void> {
  for (let attempt = 0; attempt < 100_000; attempt++) {
    const { rows } = await pool.query<{ blocked: boolean }>('SELECT $2::int = ANY (pg_blocking_pids($1::int)) AS blocked', [waiterPid, holderPid]);
    if (rows[0]!.blocked) return;
  }
  throw new Error(`backend ${waiterPid} never waited for ${holderPid}`);
}

async function backendPid(client: PoolClient): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0]!.pid;
}

describe('migrate (core/db/migrate)', () => {
  describe('given an empty database', () => {
    let database: TestDatabase;
    let pool: Pool;
    let firstRun: number[];

    before(async function () {
      this.timeout(120_000);
      database = await createTestDatabase('core_migrate');
      pool = openPool(database);
      firstRun = await migrate(pool, silentLogger);
    });

    after(async () => {
      await pool?.end();
      await database?.drop();
    });

    it('applies every migration, in order, and lists each in planmap_migrations', async () => {
      expect(firstRun).to.deep.equal(migrations.map((migration) => migration.id));
      expect(await migrationRows(pool)).to.deep.equal(ALL_MIGRATIONS);
    });

    it('creates the meta schema with datasets, dataset_versions, import_jobs and audit_log, and the data and live schemas', async () => {
      const { rows: tables } = await pool.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'meta' AND table_type = 'BASE TABLE' ORDER BY table_name`,
      );
      // Later migrations add their own tables (tokens, analysis, ...); these four are the core.
      expect(tables.map((row) => row.table_name)).to.include.members(['audit_log', 'dataset_versions', 'datasets', 'import_jobs']);
      const { rows: schemas } = await pool.query<{ nspname: string }>(
        `SELECT nspname FROM pg_namespace WHERE nspname IN ('meta', 'data', 'live') ORDER BY nspname`,
      );
      expect(schemas.map((row) => row.nspname)).to.deep.equal(['data', 'live', 'meta']);
    });

    describe('when run again', () => {
      it('applies nothing and leaves the list of migrations as it was', async () => {
        expect(await migrate(pool, silentLogger)).to.deep.equal([]);
        expect(await migrationRows(pool)).to.deep.equal(ALL_MIGRATIONS);
      });
    });

    describe('meta.audit_log', () => {
      let entryId: string;

      before(async () => {
        const { rows } = await pool.query<{ id: string }>(
          `INSERT INTO meta.audit_log (actor, action, target, outcome) VALUES ('admin', 'publish', 'landuse', 'succeeded') RETURNING id`,
        );
        entryId = rows[0]!.id;
      });

      async function entries(): Promise<Array<{ id: string; actor: string; outcome: string }>> {
        const { rows } = await pool.query<{ id: string; actor: string; outcome: string }>('SELECT id, actor, outcome FROM meta.audit_log ORDER BY id');
        return rows;
      }

      describe('given a new entry', () => {
        it('keeps it', async () => {
          expect(await entries()).to.deep.equal([{ id: entryId, actor: 'admin', outcome: 'succeeded' }]);
        });
      });

      const rewrites: ReadonlyArray<readonly [string, string]> = [
        ['UPDATE', `UPDATE meta.audit_log SET outcome = 'failed'`],
        ['DELETE', 'DELETE FROM meta.audit_log'],
        ['TRUNCATE', 'TRUNCATE meta.audit_log'],
      ];
      for (const [operation, sql] of rewrites) {
        describe(`given an attempt to ${operation} it`, () => {
          it('refuses it as append-only and leaves the entries unchanged', async () => {
            const error = await failureOf(pool.query(sql));
            expect(error.message).to.equal(`meta.audit_log is append-only (${operation} refused)`);
            expect(error.code).to.equal('42501'); // insufficient_privilege
            expect(await entries()).to.deep.equal([{ id: entryId, actor: 'admin', outcome: 'succeeded' }]);
          });
        });
      }
    });

    describe('meta.publish_version', () => {
      const DATASET = 'parcels';
      /** Versions 1 to 3 have tables, each holding one row labelled "v<N>"; 4 is registered without one. */
      const VERSIONS_WITH_TABLES = [1, 2, 3] as const;
      const VERSION_WITHOUT_TABLE = 4;
      const liveView = qualifiedLiveView(DATASET);

      before(async () => {
        await pool.query(`INSERT INTO meta.datasets (id, kind, title) VALUES ($1, 'landuse', 'Parcels')`, [DATASET]);
        for (const version of [...VERSIONS_WITH_TABLES, VERSION_WITHOUT_TABLE]) {
          if (version !== VERSION_WITHOUT_TABLE) {
            await pool.query(versionTableDdl(DATASET, version, [{ name: 'label', type: 'text' }]));
            await pool.query(
              `INSERT INTO ${qualifiedVersionTable(DATASET, version)} (label, geom)
               VALUES ($1, ST_Multi(ST_MakeEnvelope(115.9, 36.4, 115.9001, 36.4001, 4490)))`,
              [`v${version}`],
            );
          }
          await pool.query(
            'INSERT INTO meta.dataset_versions (dataset_id, version, table_name, feature_count) VALUES ($1, $2, $3, 1)',
            [DATASET, version, versionTableName(DATASET, version)],
          );
        }
      });

      async function publish(version: number, on: Pool | PoolClient = pool): Promise<void> {
        await on.query('SELECT meta.publish_version($1, $2)', [DATASET, version]);
      }

      async function liveLabels(on: Pool | PoolClient = pool): Promise<string[]> {
        const { rows } = await on.query<{ label: string }>(`SELECT label FROM ${liveView} ORDER BY label`);
        return rows.map((row) => row.label);
      }

      /** live_version of the dataset and the status of every version. */
      async function publishState(): Promise<{ liveVersion: number | null; statuses: string[] }> {
        const { rows: [dataset] } = await pool.query<{ live_version: number | null }>('SELECT live_version FROM meta.datasets WHERE id = $1', [DATASET]);
        const { rows } = await pool.query<{ version: number; status: string }>(
          'SELECT version, status FROM meta.dataset_versions WHERE dataset_id = $1 ORDER BY version',
          [DATASET],
        );
        return { liveVersion: dataset!.live_version, statuses: rows.map((row) => `v${row.version} ${row.status}`) };
      }

      /** Two connections of their own, released (and rolled back if need be) after each test. */
      let writer: PoolClient;
      let reader: PoolClient;
      let writerPid: number;
      let readerPid: number;

      beforeEach(async () => {
        await publish(1);
        writer = await pool.connect();
        reader = await pool.connect();
        // Asked now: once the reader is blocked, a query sent to it would wait behind the blocked one.
        writerPid = await backendPid(writer);
        readerPid = await backendPid(reader);
      });

      afterEach(async () => {
        await writer.query('ROLLBACK').catch(() => undefined);
        writer.release();
        reader.release();
      });

      describe('given a registered version', () => {
        it('points the live view at its table, marks it live and the previous live one retired', async () => {
          expect(await liveLabels()).to.deep.equal(['v1']);
          await publish(2);
          expect(await liveLabels()).to.deep.equal(['v2']);
          const state = await publishState();
          expect(state.liveVersion).to.equal(2);
          expect(state.statuses.slice(0, 2)).to.deep.equal(['v1 retired', 'v2 live']);
          const { rows: [published] } = await pool.query<{ published_at: Date | null }>(
            'SELECT published_at FROM meta.dataset_versions WHERE dataset_id = $1 AND version = 2',
            [DATASET],
          );
          expect(published!.published_at).to.be.instanceOf(Date);
        });
      });

      describe('given a publish that is under way in another transaction', () => {
        it('makes readers wait until it commits, then shows them the new version, never an error', async () => {
          await writer.query('BEGIN');
          await publish(2, writer);
          expect(await liveLabels(writer), 'the publishing transaction sees its own publish').to.deep.equal(['v2']);
          const reading = liveLabels(reader);
          await untilBlocked(pool, readerPid, writerPid);
          await writer.query('COMMIT');
          expect(await reading).to.deep.equal(['v2']);
          expect((await publishState()).liveVersion).to.equal(2);
        });

        it('leaves the previous version live, for waiting readers too, when it rolls back', async () => {
          await writer.query('BEGIN');
          await publish(2, writer);
          const reading = liveLabels(reader);
          await untilBlocked(pool, readerPid, writerPid);
          await writer.query('ROLLBACK');
          expect(await reading).to.deep.equal(['v1']);
          const state = await publishState();
          expect(state.liveVersion).to.equal(1);
          expect(state.statuses.filter((status) => status.endsWith(' live'))).to.deep.equal(['v1 live']);
        });
      });

      describe('given two publishes of one dataset at once', () => {
        it('runs them one after the other: the later one ends live, every other version retired', async () => {
          await writer.query('BEGIN');
          await publish(2, writer);
          const second = publish(3, reader);
          await untilBlocked(pool, readerPid, writerPid);
          await writer.query('COMMIT');
          await second;
          expect(await liveLabels()).to.deep.equal(['v3']);
          const state = await publishState();
          expect(state.liveVersion).to.equal(3);
          expect(state.statuses).to.deep.equal(['v1 retired', 'v2 retired', 'v3 live', 'v4 staged']);
        });
      });

      describe('given a version that is not registered', () => {
        it('refuses it, naming the dataset and version, and leaves the live view unchanged', async () => {
          const before = await publishState();
          const error = await failureOf(publish(9));
          expect(error.message).to.equal('dataset "parcels" has no version 9');
          expect(error.code).to.equal('P0002'); // no_data_found
          expect(await liveLabels()).to.deep.equal(['v1']);
          expect(await publishState()).to.deep.equal(before);
        });
      });

      describe('given a dataset that is not registered', () => {
        it('refuses it, naming the dataset', async () => {
          const error = await failureOf(pool.query('SELECT meta.publish_version($1, 1)', ['roads']));
          expect(error.message).to.equal('unknown dataset "roads"');
          expect(error.code).to.equal('P0002');
        });
      });

      describe('given a registered version whose table is missing', () => {
        it('fails as a whole: the live view it had already dropped is back, unchanged', async () => {
          const before = await publishState();
          const error = await failureOf(publish(VERSION_WITHOUT_TABLE));
          expect(error.message).to.include(versionTableName(DATASET, VERSION_WITHOUT_TABLE));
          expect(await liveLabels()).to.deep.equal(['v1']);
          expect(await publishState()).to.deep.equal(before);
        });
      });

      describe('given a server listening on planmap_publish', () => {
        it('is told of a publish when it commits, and never of one rolled back', async () => {
          await reader.query('LISTEN planmap_publish');
          const firstNotice = new Promise<pg.Notification>((resolve) => reader.once('notification', resolve));
          try {
            await writer.query('BEGIN');
            await publish(3, writer);
            await writer.query('ROLLBACK');
            await publish(2);
            // Notices arrive in commit order: had the rolled-back publish been announced, it would come first.
            const notice = await firstNotice;
            expect(notice.channel).to.equal('planmap_publish');
            expect(JSON.parse(notice.payload ?? 'null')).to.deep.equal({ dataset: DATASET, version: 2 });
          } finally {
            await reader.query('UNLISTEN planmap_publish');
          }
        });
      });
    });
  });

  describe('given two processes migrating one empty database at once', () => {
    let database: TestDatabase;
    let pools: Pool[] = [];

    before(async function () {
      this.timeout(120_000);
      database = await createTestDatabase('core_migrate_race');
      pools = [openPool(database), openPool(database)];
    });

    after(async () => {
      await Promise.all(pools.map((pool) => pool.end()));
      await database?.drop();
    });

    it('lets both succeed, applying each migration once and listing it once', async () => {
      const runs = await Promise.all(pools.map((pool) => migrate(pool, silentLogger)));
      expect(runs.flat().sort((a, b) => a - b)).to.deep.equal(migrations.map((migration) => migration.id));
      expect(runs.map((applied) => applied.length).sort()).to.deep.equal([0, migrations.length]);
      expect(await migrationRows(pools[0]!)).to.deep.equal(ALL_MIGRATIONS);
    });
  });
});
