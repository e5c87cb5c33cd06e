import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import express from 'express';
import { createAuthenticator } from '../../../core/auth/authenticator.js';
import { createToken } from '../../../core/auth/token-store.js';
import type { AppConfig } from '../../../core/config/load-config.js';
import type { Pool } from '../../../core/db/pool.js';
import { importDataset } from '../../../pipeline/import/import-dataset.js';
import { lockDatasetImport } from '../../../pipeline/import/import-lock.js';
import { ImportJobRunner } from '../../../pipeline/jobs/import-job-runner.js';
import { createAdminRouter } from '../../../server/admin/admin-router.js';
import { principalOf, requireRole } from '../../../server/admin/auth-middleware.js';
import { EventStreams } from '../../../server/admin/job-events.js';
import { createErrorMiddleware, notFoundHandler } from '../../../server/http/error-middleware.js';
import { listen, type RunningServer } from '../../support/http-server.js';
import { createTestDatabase, openMigratedPool, silentLogger, testConfig, type TestDatabase } from '../../support/test-database.js';
import { parcelRow, prjOf, writeParcelShapefile } from '../../pipeline/import/delivery-fixture.js';
import { openSse } from './sse-client.js';

const BOOTSTRAP = 'test-bootstrap-admin-token-0123456789';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** Gates: each import waits for its gate to open before running the real import. */
class Gates {
  private readonly pending: (() => void)[] = [];
  readonly importer: typeof importDataset = async (...args) => {
    await new Promise<void>((resolve) => this.pending.push(resolve));
    return importDataset(...args);
  };

  openAll(): void {
    for (const open of this.pending.splice(0)) open();
  }

  /** Imports waiting at their gate. */
  get waiting(): number {
    return this.pending.length;
  }
}

async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never happened: ${what}`);
}

describe('admin API (server/admin)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let inbox: string;
  let config: AppConfig;
  let runner: ImportJobRunner;
  let gates: Gates;
  let streams: EventStreams;
  let server: RunningServer;
  const tokens: Record<'admin' | 'editor' | 'viewer' | 'expired' | 'revoked', { id: string; token: string }> = {} as never;

  before(async () => {
    database = await createTestDatabase('admin');
    inbox = await mkdtemp(join(tmpdir(), 'planmap-admin-'));
    config = testConfig(database.url, (raw) => {
      raw.pipeline = { importRoots: [inbox] };
      (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: 'dltb' };
    });
    pool = await openMigratedPool(config);
    gates = new Gates();
    runner = new ImportJobRunner({ pool, config, logger: silentLogger, importer: gates.importer });
    streams = new EventStreams();
    const authenticator = createAuthenticator({ pool, logger: silentLogger, bootstrapToken: BOOTSTRAP });
    const app = express();
    app.set('trust proxy', false);
    // A router of another feature (cache purge, seeding...) mounted behind the same token check.
    const extra = express.Router();
    extra.post('/extra/purge', requireRole('admin'), (req, res) => {
      res.json({ by: principalOf(res).name, body: req.body as unknown });
    });
    app.use('/admin', createAdminRouter({ config, pool, logger: silentLogger, authenticator, runner, eventStreams: streams, eventPollMs: 50, eventKeepAliveMs: 100, extraRouters: [extra] }));
    app.use(notFoundHandler);
    app.use(createErrorMiddleware(silentLogger));
    server = await listen(app);
    const make = async (name: string, role: 'admin' | 'editor' | 'viewer', countyCodes: string[] = []) => {
      const created = await createToken(pool, { name, role, countyCodes, tilesets: [], expiresAt: null, createdBy: 'test' });
      return { id: created.record.id, token: created.token };
    };
    tokens.admin = await make('ops team', 'admin');
    tokens.editor = await make('东昌府区 editor', 'editor', ['371502']);
    tokens.viewer = await make('map viewer', 'viewer');
    tokens.expired = await make('old', 'admin');
    await pool.query(`UPDATE meta.api_tokens SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE id = $1`, [tokens.expired.id]);
    tokens.revoked = await make('gone', 'admin');
    await pool.query(`UPDATE meta.api_tokens SET revoked_at = now() WHERE id = $1`, [tokens.revoked.id]);
  });

  after(async () => {
    gates.openAll();
    await runner.close();
    streams.closeAll();
    await server.close();
    await pool.end();
    await database.drop();
    await rm(inbox, { recursive: true, force: true });
  });

  async function call(method: string, path: string, token: string | null, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...init.headers };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['Content-Type'] ??= 'application/json';
    const response = await fetch(`${server.baseUrl}${path}`, { method, headers, body: init.body });
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
    return { status: response.status, headers: response.headers, body };
  }

  async function deliver(count: number, options: Parameters<typeof parcelRow>[1] = {}): Promise<void> {
    await rm(join(inbox, 'dltb'), { recursive: true, force: true });
    await writeParcelShapefile(join(inbox, 'dltb', 'DLTB'), parcelRow(count, options), { prj: await prjOf(pool, 4527) });
  }

  /** Starts an import through the API and lets it run to its end. */
  async function importThroughApi(): Promise<number> {
    const answer = await call('POST', '/admin/datasets/landuse/imports', BOOTSTRAP);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const id = (answer.body.job as { id: number }).id;
    gates.openAll();
    await runner.whenDone(id);
    return id;
  }

  async function lastAudit(): Promise<Record<string, unknown>> {
    const { rows } = await pool.query(`SELECT actor, action, target, address, outcome, details FROM meta.audit_log ORDER BY id DESC LIMIT 1`);
    return rows[0] as Record<string, unknown>;
  }

  describe('authentication', () => {
    it('answers 401 with WWW-Authenticate: Bearer and a JSON error without a token, and audits the refusal', async () => {
      const answer = await call('GET', '/admin/datasets', null);
      expect(answer.status).to.equal(401);
      expect(answer.headers.get('www-authenticate')).to.equal('Bearer realm="planmap"');
      expect(answer.body).to.deep.include({ error: 'unauthorized' });
      expect(answer.body.message).to.match(/Authorization: Bearer/);
      expect(await lastAudit()).to.deep.include({ actor: 'anonymous', action: 'auth.denied', target: 'GET /admin/datasets', outcome: 'denied' });
    });

    it('answers 401 invalid_request for another scheme, invalid_token for an unknown, expired or revoked token', async () => {
      const basic = await call('GET', '/admin/jobs', null, { headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' } });
      expect(basic.status).to.equal(401);
      expect(basic.headers.get('www-authenticate')).to.match(/^Bearer realm="planmap", error="invalid_request"/);
      for (const [token, message] of [
        ['pm_zzzzzzzzzzzz_' + 'A'.repeat(43), /invalid token/],
        [tokens.expired.token, /expired at/],
        [tokens.revoked.token, /was revoked/],
      ] as const) {
        const answer = await call('GET', '/admin/jobs', token);
        expect(answer.status).to.equal(401);
        expect(answer.headers.get('www-authenticate')).to.match(/error="invalid_token"/);
        expect(answer.body.message).to.match(message);
      }
    });

    it('answers 403 to a viewer token, naming the role, and audits it with the token', async () => {
      const answer = await call('GET', '/admin/datasets', tokens.viewer.token);
      expect(answer.status).to.equal(403);
      expect(answer.body).to.deep.include({ error: 'forbidden' });
      expect(answer.body.message).to.match(/viewer; the admin API needs admin or editor/);
      expect(await lastAudit()).to.deep.include({ actor: `map viewer [${tokens.viewer.id}]`, action: 'auth.denied', outcome: 'denied' });
    });

    it('lets an editor see and act on its counties\' datasets only', async () => {
      const list = await call('GET', '/admin/datasets', tokens.editor.token);
      expect(list.status).to.equal(200);
      expect((list.body.datasets as { id: string }[]).map((dataset) => dataset.id)).to.deep.equal(['stbhhx_371502']);
      const refused = await call('POST', '/admin/datasets/landuse/imports', tokens.editor.token);
      expect(refused.status).to.equal(403);
      expect(refused.body.message).to.match(/counties 371502; dataset "landuse" belongs to no county/);
      expect(await lastAudit()).to.deep.include({ action: 'import.start', target: 'dataset:landuse', outcome: 'denied' });
      expect((await call('GET', '/admin/jobs?dataset=landuse', tokens.editor.token)).status).to.equal(403);

      // Its own county's dataset: accepted; the job fails (nothing delivered yet) and says why.
      const own = await call('POST', '/admin/datasets/stbhhx_371502/imports', tokens.editor.token);
      expect(own.status, JSON.stringify(own.body)).to.equal(202);
      const id = (own.body.job as { id: number }).id;
      gates.openAll();
      await runner.whenDone(id);
      const job = (await call('GET', `/admin/jobs/${id}`, tokens.editor.token)).body.job as Record<string, unknown>;
      expect(job).to.deep.include({ dataset: 'stbhhx_371502', status: 'failed', startedBy: `东昌府区 editor [${tokens.editor.id}]` });
      expect(job.error).to.match(/matches source\.path of dataset "stbhhx_371502"/);
      const visible = (await call('GET', '/admin/jobs', tokens.editor.token)).body.jobs as { dataset: string }[];
      expect(visible.map((entry) => entry.dataset)).to.deep.equal(['stbhhx_371502']);
    });
  });

  describe('extra routers (createAdminRouter({extraRouters}))', () => {
    it('run behind the token check with the caller and the parsed body, and may narrow the roles', async () => {
      expect((await call('POST', '/admin/extra/purge', null)).status).to.equal(401);
      expect((await call('POST', '/admin/extra/purge', tokens.viewer.token)).status).to.equal(403);
      const editor = await call('POST', '/admin/extra/purge', tokens.editor.token);
      expect(editor.status).to.equal(403);
      expect(editor.body.message).to.match(/is editor; this needs admin/);
      const admin = await call('POST', '/admin/extra/purge', tokens.admin.token, { body: '{"tileset": "landuse"}' });
      expect(admin.status).to.equal(200);
      expect(admin.body).to.deep.equal({ by: 'ops team', body: { tileset: 'landuse' } });
    });
  });

  describe('GET /admin/datasets', () => {
    it('lists every configured dataset with its live version, versions and last job', async () => {
      const answer = await call('GET', '/admin/datasets', tokens.admin.token);
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('cache-control')).to.equal('no-store');
      const datasets = answer.body.datasets as Record<string, unknown>[];
      expect(datasets.map((dataset) => dataset.id)).to.deep.equal(config.datasets.map((dataset) => dataset.id));
      expect(datasets[0]).to.deep.include({ id: 'landuse', liveVersion: null, versions: [], lastJob: null, importing: false, source: { path: 'dltb', format: 'auto' } });
    });
  });

  describe('POST /admin/datasets/{id}/imports', () => {
    it('answers 404 for an unknown dataset and 409 for one without a source', async () => {
      const unknown = await call('POST', '/admin/datasets/roads/imports', BOOTSTRAP);
      expect(unknown.status).to.equal(404);
      expect(unknown.body.message).to.match(/no dataset "roads"/);
      const noSource = await call('POST', '/admin/datasets/county/imports', BOOTSTRAP);
      expect(noSource.status).to.equal(409);
      expect(noSource.body).to.deep.include({ error: 'no_source' });
    });

    it('refuses bodies that are not JSON (400, naming the problem), too big (413), of another type (415) or with unknown fields (400)', async () => {
      const broken = await call('POST', '/admin/datasets/landuse/imports', BOOTSTRAP, { body: '{"version": ' });
      expect(broken.status).to.equal(400);
      expect(broken.body.message).to.match(/^request body is not valid JSON: /);
      const big = await call('POST', '/admin/datasets/landuse/imports', BOOTSTRAP, { body: JSON.stringify({ pad: 'x'.repeat(20_000) }) });
      expect(big.status).to.equal(413);
      const text = await call('POST', '/admin/datasets/landuse/imports', BOOTSTRAP, { body: 'import please', headers: { 'Content-Type': 'text/plain' } });
      expect(text.status).to.equal(415);
      const extra = await call('POST', '/admin/datasets/landuse/imports', BOOTSTRAP, { body: '{"force": true}' });
      expect(extra.status).to.equal(400);
      expect(extra.body.message).to.equal('invalid request body: unknown field "force"');
      expect(gates.waiting).to.equal(0);
    });

    it('answers 202 with the job and its Location, then streams progress, the QA summary and the end', async () => {
      await deliver(20);
      const answer = await call('POST', '/admin/datasets/landuse/imports', tokens.admin.token);
      expect(answer.status).to.equal(202);
      const job = answer.body.job as Record<string, unknown>;
      expect(job).to.deep.include({ dataset: 'landuse', status: 'queued', trigger: 'admin', startedBy: `ops team [${tokens.admin.id}]` });
      expect(answer.headers.get('location')).to.equal(`${server.baseUrl}/admin/jobs/${job.id}`);
      expect(job.links).to.deep.equal({ self: `/admin/jobs/${job.id}`, events: `/admin/jobs/${job.id}/events`, report: `/admin/jobs/${job.id}/report` });
      expect(await lastAudit()).to.deep.include({ actor: `ops team [${tokens.admin.id}]`, action: 'import.start', target: 'dataset:landuse', outcome: 'ok', details: { jobId: job.id } });

      const stream = await openSse(`${server.baseUrl}/admin/jobs/${job.id}/events`, { Authorization: `Bearer ${tokens.admin.token}` });
      expect(stream.status).to.equal(200);
      expect(stream.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
      const first = await stream.waitFor((event) => event.event === 'progress');
      expect(first.data).to.deep.include({ id: job.id, status: 'queued', phase: null });
      gates.openAll();
      await stream.ended;
      const names = stream.events.map((event) => event.event);
      expect(names.at(-2)).to.equal('qa');
      expect(names.at(-1)).to.equal('end');
      const progress = stream.events.filter((event) => event.event === 'progress');
      expect(progress.at(-1)!.data).to.deep.include({ status: 'succeeded', phase: 'publish', featuresDone: 20, filesTotal: 1, filesDone: 1 });
      expect(stream.events.at(-2)!.data).to.deep.include({ passed: true, featuresRead: 20, featuresLoaded: 20 });
      expect(stream.events.at(-1)!.data).to.deep.equal({ id: job.id, status: 'succeeded', version: 1, error: null });
      expect(streams.size).to.equal(0);
      expect(runner.listenerCount()).to.equal(0);

      const shown = await call('GET', `/admin/jobs/${job.id}`, tokens.admin.token);
      expect(shown.body.job).to.deep.include({ status: 'succeeded', version: 1 });
      const datasets = (await call('GET', '/admin/datasets', tokens.admin.token)).body.datasets as Record<string, unknown>[];
      const landuse = datasets.find((dataset) => dataset.id === 'landuse')!;
      expect(landuse).to.deep.include({ liveVersion: 1, importing: false });
      expect((landuse.lastJob as { id: number }).id).to.equal(job.id);
      expect((landuse.versions as { version: number; status: string; featureCount: number }[])[0]).to.deep.include({ version: 1, status: 'live', featureCount: 20 });
    });

    it('accepts one of two requests made at once and answers the other 409', async () => {
      const answers = await Promise.all([
        call('POST', '/admin/datasets/landuse/imports', BOOTSTRAP),
        call('POST', '/admin/datasets/landuse/imports', tokens.admin.token),
      ]);
      expect(answers.map((answer) => answer.status).sort()).to.deep.equal([202, 409]);
      const refused = answers.find((answer) => answer.status === 409)!;
      expect(refused.body).to.deep.include({ error: 'import_running', message: 'dataset "landuse" is already being imported' });
      const datasets = (await call('GET', '/admin/datasets', BOOTSTRAP)).body.datasets as Record<string, unknown>[];
      expect(datasets.find((dataset) => dataset.id === 'landuse')).to.deep.include({ importing: true });
      const accepted = answers.find((answer) => answer.status === 202)!;
      gates.openAll();
      await runner.whenDone((accepted.body.job as { id: number }).id);
    });

    it('answers 409 while another process imports the dataset (its import lock is held)', async () => {
      const other = await pool.connect();
      try {
        const unlock = await lockDatasetImport(other, 'landuse');
        const answer = await call('POST', '/admin/datasets/landuse/imports', BOOTSTRAP);
        expect(answer.status).to.equal(409);
        expect(await lastAudit()).to.deep.include({ actor: 'ADMIN_TOKEN', action: 'import.start', outcome: 'refused' });
        await unlock();
      } finally {
        other.release();
      }
    });
  });

  describe('GET /admin/jobs/{id}/events', () => {
    it('streams a job run by another process (polling its row) to its end', async () => {
      const otherGates = new Gates();
      const otherPool = await openMigratedPool(config);
      const otherProcess = new ImportJobRunner({ pool: otherPool, config, logger: silentLogger, importer: otherGates.importer, runnerName: 'replica-2:1' });
      try {
        const job = await otherProcess.start('landuse', { trigger: 'schedule', startedBy: 'cron' });
        const stream = await openSse(`${server.baseUrl}/admin/jobs/${job.id}/events`, { Authorization: `Bearer ${BOOTSTRAP}` });
        await stream.waitFor((event) => event.event === 'progress');
        otherGates.openAll();
        const end = await stream.waitFor((event) => event.event === 'end');
        expect(end.data).to.deep.include({ id: job.id, status: 'succeeded' });
        await stream.ended;
        expect(streams.size).to.equal(0);
      } finally {
        otherGates.openAll();
        await otherProcess.close();
        await otherPool.end();
      }
    });

    it('stops its timers and subscription when the client goes away, and the job still finishes', async () => {
      const answer = await call('POST', '/admin/datasets/landuse/imports', BOOTSTRAP);
      const id = (answer.body.job as { id: number }).id;
      const stream = await openSse(`${server.baseUrl}/admin/jobs/${id}/events`, { Authorization: `Bearer ${BOOTSTRAP}` });
      await stream.waitFor((event) => event.event === 'progress');
      await eventually(() => stream.comments.includes('keep-alive'), 'a keep-alive comment');
      expect(streams.size).to.equal(1);
      expect(runner.listenerCount(id)).to.equal(1);
      stream.destroy();
      await eventually(() => streams.size === 0, 'the server closing the dropped stream');
      expect(runner.listenerCount(id)).to.equal(0);
      gates.openAll();
      await runner.whenDone(id);
      const job = await call('GET', `/admin/jobs/${id}`, BOOTSTRAP);
      expect(job.body.job).to.deep.include({ status: 'succeeded' });
      await eventually(() => pool.totalCount === pool.idleCount, 'every connection back in the pool');
    });

    it('answers 404 for an unknown job and 400 for an id that is not a number, as JSON', async () => {
      const unknown = await openSse(`${server.baseUrl}/admin/jobs/999999/events`, { Authorization: `Bearer ${BOOTSTRAP}` });
      expect(unknown.status).to.equal(404);
      expect(JSON.parse(unknown.text())).to.deep.include({ error: 'not_found', message: 'no import job 999999' });
      const bad = await call('GET', '/admin/jobs/12abc/events', BOOTSTRAP);
      expect(bad.status).to.equal(400);
      expect(bad.body.message).to.match(/job id "12abc"/);
    });
  });

  describe('GET /admin/jobs and /admin/jobs/{id}/report', () => {
    it('lists jobs newest first with filters, refusing unknown, repeated or out-of-range parameters', async () => {
      const all = (await call('GET', '/admin/jobs', BOOTSTRAP)).body.jobs as { id: number; status: string }[];
      expect(all.length).to.be.at.least(4);
      expect(all.map((job) => job.id)).to.deep.equal([...all.map((job) => job.id)].sort((a, b) => b - a));
      const one = (await call('GET', '/admin/jobs?dataset=landuse&status=succeeded&limit=1', BOOTSTRAP)).body.jobs as { status: string }[];
      expect(one).to.have.length(1);
      expect(one[0]!.status).to.equal('succeeded');
      const page = (await call('GET', `/admin/jobs?before=${all[0]!.id}`, BOOTSTRAP)).body.jobs as { id: number }[];
      expect(page[0]!.id).to.equal(all[1]!.id);
      for (const [query, message] of [
        ['status=done', /status "done" is not one of queued, running, succeeded, failed, cancelled/],
        ['limit=0', /limit "0" must be a whole number from 1 to 500/],
        ['limit=abc', /limit "abc"/],
        ['sort=id', /unknown query parameter "sort"/],
        ['status=failed&status=succeeded', /query parameter "status" must be given once/],
        ['dataset=Land-Use', /dataset "Land-Use" is not a dataset id/],
      ] as const) {
        const answer = await call('GET', `/admin/jobs?${query}`, BOOTSTRAP);
        expect(answer.status, query).to.equal(400);
        expect(answer.body.message, query).to.match(message);
      }
    });

    it('gives the QA report as JSON, plain text or HTML, 406 for other types, 404 when a job has none', async () => {
      const jobs = (await call('GET', '/admin/jobs?status=succeeded&limit=1', BOOTSTRAP)).body.jobs as { id: number }[];
      const id = jobs[0]!.id;
      const json = await call('GET', `/admin/jobs/${id}/report`, BOOTSTRAP);
      expect(json.status).to.equal(200);
      expect(json.body).to.deep.include({ job: id, dataset: 'landuse', status: 'succeeded' });
      expect((json.body.report as { passed: boolean }).passed).to.equal(true);
      const text = await call('GET', `/admin/jobs/${id}/report`, BOOTSTRAP, { headers: { Accept: 'text/plain' } });
      expect(text.headers.get('content-type')).to.match(/^text\/plain/);
      expect(text.body.text).to.match(new RegExp(`^Import job ${id}, dataset landuse: succeeded`)).and.match(/QA passed/);
      const html = await call('GET', `/admin/jobs/${id}/report`, BOOTSTRAP, { headers: { Accept: 'text/html,application/xhtml+xml;q=0.9' } });
      expect(html.headers.get('content-type')).to.match(/^text\/html/);
      expect(html.body.text).to.match(/<title>QA report: import job \d+, dataset landuse<\/title>/).and.match(/QA passed/);
      const png = await call('GET', `/admin/jobs/${id}/report`, BOOTSTRAP, { headers: { Accept: 'image/png' } });
      expect(png.status).to.equal(406);

      await deliver(2, { x0: 470_000.5 });
      const refusedId = await importThroughApi();
      const none = await call('GET', `/admin/jobs/${refusedId}/report`, BOOTSTRAP);
      expect(none.status).to.equal(404);
      expect(none.body.message).to.match(new RegExp(`job ${refusedId} has no QA report \\(status failed, phase (read|prepare): .*DLTB\\.shp`));
    });

    it('shows failing QA findings, escaped, in the HTML report', async () => {
      await deliver(3, { dlbm: '<b>99', dlmc: '未知' });
      const id = await importThroughApi();
      const html = await call('GET', `/admin/jobs/${id}/report`, BOOTSTRAP, { headers: { Accept: 'text/html' } });
      expect(html.body.text).to.match(/QA FAILED/).and.match(/unknownClassCodes/).and.include('&#60;b&#62;99');
      expect(html.body.text).to.not.include('<b>99');
    });
  });

  describe('POST /admin/datasets/{id}/rollback', () => {
    it('rolls back to the previous version, or the one asked for, and answers 409/404/400 otherwise', async () => {
      await deliver(7);
      await importThroughApi();
      const live = async () => ((await call('GET', '/admin/datasets', BOOTSTRAP)).body.datasets as { id: string; liveVersion: number }[]).find((dataset) => dataset.id === 'landuse')!.liveVersion;
      const current = await live();
      expect(current).to.be.at.least(2);

      const back = await call('POST', '/admin/datasets/landuse/rollback', tokens.admin.token);
      expect(back.status, JSON.stringify(back.body)).to.equal(200);
      expect(back.body).to.deep.equal({ dataset: 'landuse', liveVersion: current - 1, previousVersion: current });
      expect(await lastAudit()).to.deep.include({ action: 'dataset.rollback', target: 'dataset:landuse', outcome: 'ok', details: { liveVersion: current - 1, previousVersion: current } });

      const forward = await call('POST', '/admin/datasets/landuse/rollback', BOOTSTRAP, { body: JSON.stringify({ version: current }) });
      expect(forward.body).to.deep.include({ liveVersion: current });
      const same = await call('POST', '/admin/datasets/landuse/rollback', BOOTSTRAP, { body: JSON.stringify({ version: current }) });
      expect(same.status).to.equal(409);
      expect(same.body.message).to.match(/already live/);
      const missing = await call('POST', '/admin/datasets/landuse/rollback', BOOTSTRAP, { body: JSON.stringify({ version: 99 }) });
      expect(missing.status).to.equal(404);
      expect(missing.body.message).to.match(/has no version 99 \(kept: /);
      const bad = await call('POST', '/admin/datasets/landuse/rollback', BOOTSTRAP, { body: JSON.stringify({ version: 'latest' }) });
      expect(bad.status).to.equal(400);
      expect(bad.body.message).to.match(/^invalid request body: field "version": /);
      const nothing = await call('POST', '/admin/datasets/stbhhx_371502/rollback', tokens.editor.token);
      expect(nothing.status).to.equal(409);
      expect(nothing.body.message).to.match(/no earlier version to roll back to/);
      expect(await lastAudit()).to.deep.include({ actor: `东昌府区 editor [${tokens.editor.id}]`, outcome: 'refused' });
      expect(await live()).to.equal(current);
    });
  });
});
