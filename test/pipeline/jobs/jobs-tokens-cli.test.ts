import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseToken, sha256 } from '../../../core/auth/api-token.js';
import type { Pool } from '../../../core/db/pool.js';
import { projectRoot } from '../../../core/project-root.js';
import { createTestDatabase, openMigratedPool, testConfig, type TestDatabase } from '../../support/test-database.js';

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('npm run cli -- tokens / jobs (pipeline/cli)', () => {
  let database: TestDatabase;
  let pool: Pool;

  before(async () => {
    database = await createTestDatabase('cli_admin');
    pool = await openMigratedPool(testConfig(database.url));
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  function cli(...args: string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'pipeline', 'cli', 'planmap-cli.ts'), ...args], {
        cwd: projectRoot,
        env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'silent', USER: 'tester', CONFIG_FILE: '' },
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

  describe('tokens', () => {
    let created: { id: string; token: string };

    it('creates a token, prints it once on stdout, and stores only the SHA-256 of its secret', async () => {
      const run = await cli('tokens', 'create', '--name', 'county editor', '--role', 'editor', '--county', '371502', '--county', '371521', '--tileset', 'landuse', '--expires', '30d');
      expect(run.code, run.stderr).to.equal(0);
      const token = run.stdout.trim();
      const parsed = parseToken(token);
      expect(parsed, run.stdout).to.not.equal(null);
      expect(run.stderr).to.match(/token [a-z0-9]{12} "county editor" \(editor; counties 371502, 371521; tilesets landuse\) created, expires \d{4}-/)
        .and.match(/shown only this once/);
      created = { id: parsed!.id, token };
      const { rows } = await pool.query<{ secret_sha256: Buffer; role: string; county_codes: string[]; tilesets: string[]; expires_at: Date; created_by: string; dump: string }>(
        `SELECT secret_sha256, role, county_codes, tilesets, expires_at, created_by, row_to_json(t)::text AS dump FROM meta.api_tokens t WHERE id = $1`,
        [parsed!.id],
      );
      expect(rows[0]).to.deep.include({ role: 'editor', county_codes: ['371502', '371521'], tilesets: ['landuse'], created_by: 'cli:tester' });
      expect(rows[0]!.secret_sha256.equals(sha256(parsed!.secret))).to.equal(true);
      expect(rows[0]!.dump).to.not.include(parsed!.secret);
      expect(rows[0]!.expires_at.getTime() - Date.now()).to.be.within(29.9 * 86_400_000, 30 * 86_400_000);
      const { rows: audit } = await pool.query(`SELECT actor, action, target, outcome FROM meta.audit_log ORDER BY id DESC LIMIT 1`);
      expect(audit[0]).to.deep.equal({ actor: 'cli:tester', action: 'token.create', target: `token:${parsed!.id}`, outcome: 'ok' });
    });

    it('refuses an editor without --county, a bad --expires and an unknown --tileset, naming the option (exit 2)', async () => {
      const noCounty = await cli('tokens', 'create', '--name', 'x', '--role', 'editor');
      expect(noCounty.code).to.equal(2);
      expect(noCounty.stderr).to.match(/^--county is required for an editor/);
      const badExpiry = await cli('tokens', 'create', '--name', 'x', '--role', 'viewer', '--expires', 'tomorrow');
      expect(badExpiry.code).to.equal(2);
      expect(badExpiry.stderr).to.match(/^--expires: "tomorrow" is neither a duration/);
      const badTileset = await cli('tokens', 'create', '--name', 'x', '--role', 'viewer', '--tileset', 'roads');
      expect(badTileset.code).to.equal(2);
      expect(badTileset.stderr).to.match(/^--tileset "roads" is not a configured tileset \(configured: landuse, county/);
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM meta.api_tokens');
      expect(rows[0]).to.deep.equal({ n: 1 });
    });

    it('lists tokens without secrets, revokes one, and exits 7 for an unknown id', async () => {
      const listed = await cli('tokens', 'list');
      expect(listed.code).to.equal(0);
      expect(listed.stdout).to.match(/^ID\s+NAME\s+ROLE\s+COUNTIES\s+TILESETS\s+STATE/);
      expect(listed.stdout).to.match(new RegExp(`${created.id}\\s+county editor\\s+editor\\s+371502,371521\\s+landuse\\s+active`));
      expect(listed.stdout).to.not.include(parseToken(created.token)!.secret);
      const revoked = await cli('tokens', 'revoke', created.id);
      expect(revoked.code).to.equal(0);
      expect(revoked.stdout).to.match(new RegExp(`token ${created.id} "county editor" revoked at `));
      const json = await cli('tokens', 'list', '--json');
      expect((JSON.parse(json.stdout) as { id: string; state: string }[]).map(({ id, state }) => ({ id, state }))).to.deep.equal([{ id: created.id, state: 'revoked' }]);
      const unknown = await cli('tokens', 'revoke', 'aaaaaaaaaaaa');
      expect(unknown.code).to.equal(7);
      expect(unknown.stderr).to.match(/no token "aaaaaaaaaaaa"/);
    });
  });

  describe('jobs', () => {
    before(async () => {
      const report = { featuresRead: 5, featuresLoaded: 5, featuresRejected: 0, passed: false,
        findings: [{ rule: 'unknownClassCodes', level: 'fail', count: 5, message: 'class codes not in 三调', examples: [{ file: 'DLTB.shp', feature: 1, detail: 'DLBM "9999" is not a 三调 class' }] }] };
      await pool.query(`INSERT INTO meta.datasets (id, kind, title) VALUES ('landuse', 'landuse', 'Land use')`);
      await pool.query(
        `INSERT INTO meta.import_jobs (dataset_id, status, trigger, started_by, started_at, finished_at, phase, features_done, files_total, files_done, qa_report, error)
         VALUES ('landuse', 'succeeded', 'admin', 'ops team [abc]', now() - interval '2 minutes', now() - interval '1 minute', 'publish', 20, 1, 1, NULL, NULL),
                ('landuse', 'failed', 'schedule', 'cron', now() - interval '30 seconds', now(), 'qa', 5, 1, 1, $1, NULL)`,
        [JSON.stringify(report)],
      );
    });

    it('lists jobs newest first as a table, filters by status, and prints JSON with --json', async () => {
      const listed = await cli('jobs');
      expect(listed.code, listed.stderr).to.equal(0);
      const lines = listed.stdout.trim().split('\n');
      expect(lines[0]).to.match(/^ID\s+DATASET\s+STATUS\s+PHASE\s+TRIGGER\s+STARTED BY\s+CREATED\s+TOOK\s+FEATURES\s+VERSION\s+ERROR$/);
      expect(lines[1]).to.match(/^2\s+landuse\s+failed\s+qa\s+schedule\s+cron\s+/);
      expect(lines[2]).to.match(/^1\s+landuse\s+succeeded\s+publish\s+admin\s+ops team \[abc\]\s+\S+ \S+\s+1m0s\s+20\s+-/);
      const failed = await cli('jobs', 'list', '--status', 'failed', '--json');
      expect((JSON.parse(failed.stdout) as { id: number }[]).map((job) => job.id)).to.deep.equal([2]);
    });

    it('shows one job with its QA report, exits 7 for an unknown job and 2 for bad options', async () => {
      const shown = await cli('jobs', 'show', '2');
      expect(shown.code).to.equal(0);
      expect(shown.stdout).to.match(/^job 2: dataset landuse, failed \(phase qa\)/).and.match(/\[FAIL\] unknownClassCodes: class codes not in 三调/).and.match(/QA FAILED/);
      const unknown = await cli('jobs', 'show', '99');
      expect(unknown.code).to.equal(7);
      expect(unknown.stderr).to.match(/no import job 99/);
      const bad = await cli('jobs', '--status', 'done');
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/--status "done" is not one of queued, running, succeeded, failed, cancelled/);
    });
  });
});
