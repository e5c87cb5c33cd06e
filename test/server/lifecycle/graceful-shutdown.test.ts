import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { stringify } from 'yaml';
import { readConfigFile, resolveConfigFile } from '../../../core/config/load-config.js';
import { qualifiedVersionTable } from '../../../core/db/dataset-layout.js';
import { tileAtPoint, WebMercatorQuad } from '../../../core/grid/tile-matrix-set.js';
import { sampleFixture } from '../../support/sample-fixture.js';
import { ServerProcess, type LogLine } from '../../support/server-process.js';

/**
 * Statements of the server waiting for the test's lock on the live table. Asked on another
 * connection than the lock's: pg_stat_activity is a snapshot per transaction.
 */
const WAITING_FOR_THE_LOCK = `SELECT count(*) AS waiting FROM pg_stat_activity
  WHERE datname = current_database() AND wait_event_type = 'Lock'`;

async function startServer(databaseUrl: string, configFile: string, env: Record<string, string> = {}): Promise<{ server: ServerProcess; baseUrl: string }> {
  const server = await ServerProcess.start({ DATABASE_URL: databaseUrl, CONFIG_FILE: configFile, ...env });
  return { server, baseUrl: server.baseUrl };
}

/** A GET on its own connection; resolves with the status and the body's length, or the connection's error. */
function get(url: string): Promise<{ status: number; bytes: number; text?: string } | { error: string }> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          const status = response.statusCode ?? 0;
          // An error's JSON body, so that a failed assertion says what the server said.
          resolve(status >= 400 ? { status, bytes: body.length, text: body.toString('utf8') } : { status, bytes: body.length });
        });
        response.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      })
      .on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

describe('graceful shutdown of the server process (SIGTERM)', function () {
  this.timeout(90_000);
  let configDir: string;
  let locker: pg.Client;
  let liveTable: string;
  let tilePaths: string[];

  before(async () => {
    const { config, pool } = sampleFixture();
    configDir = await mkdtemp(join(tmpdir(), 'planmap-shutdown-'));
    const { rows } = await pool.query<{ live_version: number }>(`SELECT live_version FROM meta.datasets WHERE id = 'landuse'`);
    liveTable = qualifiedVersionTable('landuse', rows[0]!.live_version);
    // Three z14 tiles holding parcels, each asked for on its own connection.
    const { rows: points } = await pool.query<{ x: number; y: number }>(
      `SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom_3857) AS p FROM live.landuse ORDER BY fid LIMIT 3) s`,
    );
    tilePaths = points.map(({ x, y }, i) => {
      const { z, x: tx, y: ty } = tileAtPoint(WebMercatorQuad, 14 + i, x, y);
      return `/tiles/landuse/${z}/${tx}/${ty}.mvt`;
    });
    locker = new pg.Client({ connectionString: config.databaseUrl });
    await locker.connect();
  });

  after(async () => {
    await locker.end();
    await rm(configDir, { recursive: true, force: true });
  });

  async function configWithShutdownTimeout(ms: number): Promise<string> {
    const raw = readConfigFile(resolveConfigFile(undefined)) as { server?: Record<string, unknown>; cache?: Record<string, unknown> };
    raw.server = { ...raw.server, shutdownTimeoutMs: ms };
    // Every tile must reach the database (and wait for the lock): no tile cache, whose disk tier outlives a process.
    raw.cache = { ...raw.cache, enabled: false };
    const file = join(configDir, `shutdown-${ms}.yaml`);
    await writeFile(file, stringify(raw));
    return file;
  }

  /** Holds the live parcels table locked, so tile statements wait: requests stay in flight until `release`. */
  async function holdTilesInFlight(baseUrl: string, serverLog?: LogLine[]): Promise<{ responses: Promise<Array<Awaited<ReturnType<typeof get>>>>; release: () => Promise<void> }> {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${liveTable} IN ACCESS EXCLUSIVE MODE`);
    const responses = Promise.all(tilePaths.map((path) => get(baseUrl + path)));
    // In flight for sure: every tile statement is waiting for the lock.
    for (let attempt = 0; ; attempt++) {
      const { rows } = await sampleFixture().pool.query<{ waiting: string }>(
        WAITING_FOR_THE_LOCK,
      );
      if (Number(rows[0]!.waiting) >= tilePaths.length) break;
      if (attempt === 200) {
        const { rows: activity } = await sampleFixture().pool.query(`SELECT application_name, state, wait_event_type, left(query, 80) AS query FROM pg_stat_activity WHERE datname = current_database()`);
        throw new Error(`the tile requests never waited for the lock: ${JSON.stringify(activity)}; log: ${JSON.stringify(serverLog?.filter((line) => Number(line.level) >= 40).slice(-5))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { responses, release: () => locker.query('COMMIT').then(() => undefined) };
  }

  describe('given tile requests in flight', () => {
    it('refuses new connections, finishes every request in flight, and exits 0', async () => {
      const { server, baseUrl } = await startServer(sampleFixture().config.databaseUrl, await configWithShutdownTimeout(30_000));
      const inFlight = await holdTilesInFlight(baseUrl, server.lines);
      server.child.kill('SIGTERM');
      await server.waitForLog('http: no new connections; finishing requests in flight');
      const refused = await get(`${baseUrl}/health`);
      await inFlight.release();
      const responses = await inFlight.responses;
      const exit = await server.exited;

      expect(refused).to.deep.equal({ error: 'ECONNREFUSED' });
      for (const response of responses) {
        expect(response).to.have.property('status', 200);
        expect((response as { bytes: number }).bytes).to.be.greaterThan(0);
      }
      expect(exit).to.deep.equal({ code: 0, signal: null });
      expect(server.lines.find((line) => line.msg === 'shutdown complete')).to.include({ clean: true });
    });
  });

  describe('given a request still running at the shutdown deadline', () => {
    it('cuts its connection, cancels its statement and exits 1 (not clean)', async () => {
      const { server, baseUrl } = await startServer(sampleFixture().config.databaseUrl, await configWithShutdownTimeout(500));
      const inFlight = await holdTilesInFlight(baseUrl, server.lines);
      try {
        server.child.kill('SIGTERM');
        const responses = await inFlight.responses;
        for (const response of responses) expect(response).to.have.property('error');
        await server.waitForLog('http: deadline reached, closing the remaining connections');
        const exit = await server.exited;
        // The lock is still held: a statement left running would still be waiting for it (a
        // backend blocked on a lock does not notice that its client has gone).
        const { rows } = await sampleFixture().pool.query<{ waiting: string }>(WAITING_FOR_THE_LOCK);
        expect(Number(rows[0]!.waiting)).to.equal(0);
        expect(exit).to.deep.equal({ code: 1, signal: null });
      } finally {
        await inFlight.release();
      }
    });
  });

  describe('given two worker processes (WORKERS=2, server/lifecycle/cluster-primary.ts)', () => {
    it('listens on one port in two processes, and on SIGTERM every worker finishes its requests in flight, then all exit 0', async () => {
      const { server, baseUrl } = await startServer(sampleFixture().config.databaseUrl, await configWithShutdownTimeout(30_000), { WORKERS: '2' });
      await server.waitForLog('starting server workers');
      while (server.lines.filter((line) => line.msg === 'planmap listening').length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
      const listening = server.lines.filter((line) => line.msg === 'planmap listening');
      const workerPids = listening.map((line) => Number(line.pid));
      expect(new Set(workerPids).size).to.equal(2);
      expect(workerPids).to.not.include(server.child.pid);
      expect(listening.map((line) => line.port)).to.deep.equal([listening[0]!.port, listening[0]!.port]);

      const inFlight = await holdTilesInFlight(baseUrl, server.lines);
      server.child.kill('SIGTERM');
      await server.waitForLog('stopping the server workers');
      await inFlight.release();
      const responses = await inFlight.responses;
      const exit = await server.exited;

      for (const response of responses) expect(response).to.have.property('status', 200);
      expect(exit).to.deep.equal({ code: 0, signal: null });
      const completions = server.lines.filter((line) => line.msg === 'shutdown complete');
      expect(completions.map((line) => Number(line.pid)).sort()).to.deep.equal([...workerPids].sort());
      expect(completions.every((line) => line.clean === true)).to.equal(true);
      expect(server.lines.find((line) => line.msg === 'server workers stopped')).to.include({ clean: true });
      for (const pid of workerPids) expect(() => process.kill(pid, 0), `worker ${pid} still running`).to.throw();
    });
  });

  describe('given no request in flight', () => {
    it('exits 0 at once on SIGTERM, idle keep-alive connections included', async () => {
      const { server, baseUrl } = await startServer(sampleFixture().config.databaseUrl, await configWithShutdownTimeout(60_000));
      const agent = new http.Agent({ keepAlive: true });
      const status = await new Promise<number>((resolve, reject) => {
        http.get(`${baseUrl}/health`, { agent }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        }).on('error', reject);
      });
      expect(status).to.equal(200);
      server.child.kill('SIGTERM');
      // With a 60 s deadline, an idle keep-alive connection left open would hold the exit until the test's timeout.
      const exit = await server.exited;
      agent.destroy();
      expect(exit).to.deep.equal({ code: 0, signal: null });
    });
  });
});
