import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { DataFolderInUseError, LOCK_FILE_NAME } from '../../../../core/db/embedded/data-folder-lock.js';
import { DataFolderError, DATABASE_FOLDER_NAME, inspectDataFolder, VERSION_FILE_NAME } from '../../../../core/db/embedded/data-folder-version.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../../../core/db/embedded/embedded-database.js';
import { configSchema } from '../../../../core/config/schema.js';
import { createPool } from '../../../../core/db/pool.js';
import { projectRoot } from '../../../../core/project-root.js';
import { detectMvtEncoder } from '../../../../server/sources/node-mvt-capability.js';
import { silentLogger } from '../../../support/test-database.js';
import { copyOfEmbeddedTemplate, embeddedTemplateDir, embeddedWorkDir } from './embedded-template.js';

const CHILD = join(projectRoot, 'test', 'core', 'db', 'embedded', 'embedded-child.ts');
/** The pool settings the server would use (config/default.yaml's defaults). */
const databaseSettings = configSchema.parse({}).database;

/*
 * The embedded PGlite + PostGIS database: its data folder on a first start, on restart, after a
 * crash, with another version's files, and with another server on it. Making a folder (initdb
 * and CREATE EXTENSION postgis in WebAssembly) is slow, so one is made in `before` and each test
 * works on a copy.
 */
describe('embedded database (PGlite + PostGIS)', function () {
  this.timeout(600_000);
  let template: string;
  const open: EmbeddedDatabase[] = [];
  const copyOfTemplate = copyOfEmbeddedTemplate;
  const start = async (dataDir: string): Promise<EmbeddedDatabase> => {
    const database = await startEmbeddedDatabase({ dataDir, logger: silentLogger });
    open.push(database);
    return database;
  };
  const stop = async (database: EmbeddedDatabase): Promise<void> => {
    open.splice(open.indexOf(database), 1);
    await database.close();
  };

  before(async () => {
    template = await embeddedTemplateDir();
  });

  afterEach(async () => {
    while (open.length > 0) await open.pop()!.close();
  });

  describe('a first start in an empty folder', () => {
    it('made the database with PostGIS and recorded which versions made it', () => {
      const version = JSON.parse(readFileSync(join(template, VERSION_FILE_NAME), 'utf8')) as Record<string, unknown>;
      const installed = (name: string) => (JSON.parse(readFileSync(join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
      expect(version).to.deep.equal({ layout: 1, pglite: installed('@electric-sql/pglite'), postgis: installed('@electric-sql/pglite-postgis'), complete: true });
      expect(existsSync(join(template, DATABASE_FOLDER_NAME, 'PG_VERSION'))).to.equal(true);
      expect(existsSync(join(template, LOCK_FILE_NAME)), 'the lock is released on close').to.equal(false);
    });

    it('serves the app\'s pg pool with PostGIS, and tiles are made by the Node encoder (no ST_AsMVT)', async () => {
      const database = await start(await copyOfTemplate('first'));
      const pool = createPool({ url: database.url, database: databaseSettings, applicationName: 'planmap-test', logger: silentLogger });
      try {
        const { rows } = await pool.query<{ area: number }>('SELECT ST_Area(ST_MakeEnvelope(116, 36, 116.01, 36.01, 4490)::geography) AS area');
        expect(rows[0]!.area).to.be.closeTo(1_000_385, 1_000);
        const { rows: mercator } = await pool.query<{ x: number }>('SELECT ST_X(ST_Transform(ST_SetSRID(ST_Point(116, 36), 4490), 3857)) AS x');
        expect(mercator[0]!.x).to.be.closeTo(12_913_060.93, 0.01);
        expect(await detectMvtEncoder(pool)).to.equal('node');
      } finally {
        await pool.end();
      }
    });
  });

  describe('a restart', () => {
    it('opens the same data, and releases the folder on close', async () => {
      const dir = await copyOfTemplate('restart');
      let database = await start(dir);
      let client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query("CREATE TABLE kept AS SELECT 'still here'::text AS note");
      await client.end();
      await stop(database);
      expect(existsSync(join(dir, LOCK_FILE_NAME))).to.equal(false);
      database = await start(dir);
      client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query<{ note: string }>('SELECT note FROM kept');
      await client.end();
      expect(rows).to.deep.equal([{ note: 'still here' }]);
    });
  });

  describe('a folder left by a crash (kill -9 while writing)', () => {
    it('recovers every committed row on the next start, taking over the dead process\'s lock', async () => {
      const dir = await copyOfTemplate('crash');
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'write', dir], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
      let committed = 0;
      let output = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const matches = [...output.matchAll(/committed (\d+)/g)];
          committed = matches.length > 0 ? Number(matches.at(-1)![1]) : 0;
          if (committed >= 30) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => (committed >= 30 ? resolve() : reject(new Error(`the writer exited early: ${output}`))));
      });
      await new Promise((resolve) => child.once('close', resolve));
      const lock = JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')) as { pid: number };
      expect(lock.pid, 'the killed writer left its lock').to.equal(child.pid);

      const database = await start(dir);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query<{ count: number; max: number; valid: boolean }>(
        'SELECT count(*)::int AS count, max(n) AS max, bool_and(ST_IsValid(geom)) AS valid FROM crash_rows');
      await client.end();
      expect(rows[0]!.count).to.be.at.least(committed);
      expect(rows[0]!.count).to.equal(rows[0]!.max); // no gap: rows 1..max, each committed whole
      expect(rows[0]!.valid).to.equal(true);
      expect((JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')) as { pid: number }).pid).to.equal(process.pid);
    });
  });

  describe('a second server on the same folder', () => {
    it('is refused while the first runs, naming the folder and the pid that holds it', async () => {
      const dir = await copyOfTemplate('second');
      await start(dir);
      const child = spawnSync(process.execPath, ['--import', 'tsx', CHILD, 'open', dir], { cwd: projectRoot, encoding: 'utf8' });
      expect(child.status).to.equal(1);
      expect(child.stdout).to.include(`refused: the embedded database folder ${dir} is in use by the planmap process with pid ${process.pid}`);
    });

    it('is refused in the same process too (two PGlite instances would corrupt the files)', async () => {
      const dir = await copyOfTemplate('same-process');
      await start(dir);
      let error: unknown;
      try {
        await start(dir);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(DataFolderInUseError);
    });

    it('is refused when the lock belongs to another host (a shared folder cannot be checked)', async () => {
      const dir = await copyOfTemplate('other-host');
      writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: 12345, host: 'another-machine', startedAt: '2026-01-01T00:00:00Z' }));
      let error: unknown;
      try {
        await start(dir);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(DataFolderInUseError);
      expect((error as Error).message).to.include('pid 12345');
    });
  });

  describe('a folder written by another version', () => {
    it('is refused with what wrote it, what is installed and what to do, and left untouched', async () => {
      const dir = await copyOfTemplate('old-version');
      const versionFile = join(dir, VERSION_FILE_NAME);
      const stored = JSON.parse(readFileSync(versionFile, 'utf8')) as Record<string, unknown>;
      writeFileSync(versionFile, JSON.stringify({ ...stored, pglite: '0.2.17', postgis: '0.0.1' }));
      let error: unknown;
      try {
        await start(dir);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(DataFolderError);
      expect((error as Error).message).to.include(`the embedded database folder ${dir} was written by PGlite 0.2.17 with PostGIS 0.0.1`);
      expect((error as Error).message).to.match(/move the folder away/);
      expect(JSON.parse(readFileSync(versionFile, 'utf8'))).to.include({ pglite: '0.2.17' });
      expect(existsSync(join(dir, LOCK_FILE_NAME)), 'a refused start releases the lock').to.equal(false);
    });
  });

  describe('inspecting a data folder', () => {
    const build = { pglite: '0.5.8', postgis: '0.2.8' };
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(embeddedWorkDir(), 'inspect-'));
    });

    it('calls an empty folder new', () => {
      expect(inspectDataFolder(dir, build)).to.deep.equal({ kind: 'new' });
    });

    it('refuses database files without a version file (not made by this planmap)', () => {
      mkdirSync(join(dir, DATABASE_FOLDER_NAME));
      writeFileSync(join(dir, DATABASE_FOLDER_NAME, 'PG_VERSION'), '17\n');
      expect(() => inspectDataFolder(dir, build)).to.throw(DataFolderError, `${dir} holds database files (pgdata/) but no ${VERSION_FILE_NAME}`);
    });

    it('refuses a version file whose database files are gone, rather than start empty', () => {
      writeFileSync(join(dir, VERSION_FILE_NAME), JSON.stringify({ layout: 1, ...build, complete: true }));
      expect(() => inspectDataFolder(dir, build)).to.throw(DataFolderError, /database files \(pgdata\/\) are missing: refusing to start on an empty database/);
    });

    it('refuses a version file that is not JSON, naming it', () => {
      writeFileSync(join(dir, VERSION_FILE_NAME), '{ half written');
      expect(() => inspectDataFolder(dir, build)).to.throw(DataFolderError, `${join(dir, VERSION_FILE_NAME)} is not valid JSON`);
    });

    it('refuses a version file that lacks a field', () => {
      writeFileSync(join(dir, VERSION_FILE_NAME), JSON.stringify({ layout: 1, pglite: '0.5.8' }));
      expect(() => inspectDataFolder(dir, build)).to.throw(DataFolderError, /lacks layout, pglite, postgis or complete/);
    });

    it('calls a first start that did not finish unfinished (it holds no data: made again)', () => {
      writeFileSync(join(dir, VERSION_FILE_NAME), JSON.stringify({ layout: 1, ...build, complete: false }));
      mkdirSync(join(dir, DATABASE_FOLDER_NAME));
      expect(inspectDataFolder(dir, build)).to.deep.equal({ kind: 'unfinished' });
    });

    it('refuses a folder of another layout', () => {
      writeFileSync(join(dir, VERSION_FILE_NAME), JSON.stringify({ layout: 2, ...build, complete: true }));
      expect(() => inspectDataFolder(dir, build)).to.throw(DataFolderError, /folder layout 2/);
    });
  });

  describe('a lock left by a process that no longer runs', () => {
    it('is taken over', async () => {
      const dir = await copyOfTemplate('stale');
      const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
      const deadPid = Number(dead.stdout.trim());
      writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: deadPid, host: (await import('node:os')).hostname(), startedAt: '2026-01-01T00:00:00Z' }));
      await start(dir);
      expect((JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')) as { pid: number }).pid).to.equal(process.pid);
    });
  });
});
