import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { createApp } from '../../../server/app.js';
import { loadTilesetCatalog } from '../../../server/sources/tileset-catalog.js';
import { listen, rawGet, type RunningServer } from '../../support/http-server.js';
import { sampleFixture } from '../../support/sample-fixture.js';

interface LogEntry {
  level: number;
  msg: string;
  reqId?: string;
  method?: string;
  path?: string;
  status?: number;
  durationMs?: number;
}

describe('request ids and request logs (server/http/request-id.ts)', () => {
  let server: RunningServer;
  const entries: LogEntry[] = [];

  before(async () => {
    const { config, pool } = sampleFixture();
    const sink = new Writable({
      write(chunk: Buffer, encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) entries.push(JSON.parse(line) as LogEntry);
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const catalog = await loadTilesetCatalog(pool, config, logger.child({}, { level: 'silent' }));
    server = await listen(createApp({ config, pool, logger, catalog: () => catalog }));
  });

  after(() => server.close());

  /** The completion line of a request, once the response has been logged. */
  async function logOf(reqId: string): Promise<LogEntry> {
    for (let i = 0; i < 100; i++) {
      const entry = entries.find((candidate) => candidate.reqId === reqId && candidate.status !== undefined);
      if (entry) return entry;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`no log line with reqId ${reqId}: ${JSON.stringify(entries.slice(-5))}`);
  }

  it('makes an id for a request without one, answers it in X-Request-Id and logs the request with it', async () => {
    const response = await rawGet(`${server.baseUrl}/catalog`);
    const id = response.headers['x-request-id'] as string;
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const entry = await logOf(id);
    expect(entry).to.include({ method: 'GET', path: '/catalog', status: 200, msg: 'request' });
    expect(entry.durationMs).to.be.a('number');
  });

  it('keeps the id a proxy sent, on the tile fast path too', async () => {
    const response = await rawGet(`${server.baseUrl}/tiles/county/0/0/0.mvt`, { 'X-Request-Id': 'lb-7f3a9c.42' });
    expect(response.headers['x-request-id']).to.equal('lb-7f3a9c.42');
    expect(await logOf('lb-7f3a9c.42')).to.include({ path: '/tiles/county/0/0/0.mvt' });
  });

  describe('given an X-Request-Id with spaces, quotes or letters outside ASCII, or too long', () => {
    it('replaces it with a new id rather than echoing or logging it', async () => {
      for (const offered of ['a b', 'x"y', 'x'.repeat(129), 'ünï']) {
        const response = await rawGet(`${server.baseUrl}/health`, { 'X-Request-Id': offered });
        expect(response.headers['x-request-id'], offered).to.not.equal(offered);
        expect(response.headers['x-request-id'], offered).to.match(/^[0-9a-f-]{36}$/);
      }
    });
  });

  it('leaves the query string (which may hold a token) out of the log, and logs client errors at info', async () => {
    const response = await rawGet(`${server.baseUrl}/tiles/nosuch/1/0/0.mvt?token=secret-token-value`);
    expect(response.status).to.equal(404);
    const entry = await logOf(response.headers['x-request-id'] as string);
    expect(entry).to.include({ path: '/tiles/nosuch/1/0/0.mvt', status: 404, level: 30 });
    expect(JSON.stringify(entries)).to.not.contain('secret-token-value');
  });

  it('logs successful reads at debug, so a busy map does not flood the info log', async () => {
    const response = await rawGet(`${server.baseUrl}/health`);
    expect((await logOf(response.headers['x-request-id'] as string)).level).to.equal(20);
  });
});
