import net from 'node:net';
import { expect } from 'chai';
import type { Pool } from '../../core/db/pool.js';
import { rawGet } from '../support/http-server.js';
import { sampleFixture } from '../support/sample-fixture.js';
import { hostileRequest, type HostileCategory, type HostileRequest } from './hostile-requests.js';
import { runSeed, seededRandom } from './seeded-random.js';
import { reliabilityServer } from './reliability-server.js';

const REQUESTS = 10_000;
const PARALLEL = 32;

/**
 * 10,000 generated malformed or random tile, WMTS, TileJSON, style and admin requests over raw
 * sockets, from a seeded PRNG (the seed is printed; RELIABILITY_SEED=<seed> replays a run):
 * no 5xx, no crash, no data changed, and every admin request without a token is 401. Rate
 * limits are off here (they are tested on their own): every request reaches its route.
 */
describe('reliability: hostile input', function () {
  this.timeout(600_000);
  const suite = reliabilityServer('reliability-hostile', { landuse: 'restricted', county: 'internal' });

  it(`answers ${REQUESTS} hostile requests without a 5xx or a crash, changes nothing, and refuses every admin request without a token`, async () => {
    const { pool, server } = suite;
    const seed = runSeed();
    console.log(`      hostile input seed ${seed} (replay: RELIABILITY_SEED=${seed})`);
    const beforeFixture = await checksum(sampleFixture().pool);
    const beforeOwn = await checksum(pool);
    const auditBefore = await auditCount(pool);

    const random = seededRandom(seed);
    const requests = Array.from({ length: REQUESTS }, (_, i) => hostileRequest(random, i));
    const serverErrors: string[] = [];
    const adminNot401: string[] = [];
    const noAnswer: string[] = [];
    const statuses: Record<string, number> = {};
    const byCategory: Record<string, number> = {};
    const { port } = new URL(server.baseUrl);
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < requests.length) {
          const request = requests[next++]!;
          const { status, text } = await sendRaw(Number(port), request);
          statuses[status] = (statuses[status] ?? 0) + 1;
          byCategory[request.category] = (byCategory[request.category] ?? 0) + 1;
          if (status === 0) noAnswer.push(request.label);
          // WMTS answers an operation it does not offer (GetFeatureInfo, or any unknown REQUEST) with
          // 501 OperationNotSupported, as OGC 06-121r3 and 07-057r7 say. A HEAD answer has no body to
          // show the code, so the same request is asked again as GET.
          const notOffered = status === 501 && request.category === 'wmts' && (await operationNotSupported(Number(port), request, text));
          if (status >= 500 && !notOffered) serverErrors.push(`${status} ${request.label}`);
          if (request.category === ('admin' satisfies HostileCategory) && status !== 401) adminNot401.push(`${status} ${request.label}`);
        }
      }),
    );
    console.log(`      statuses ${JSON.stringify(statuses)}; requests by kind ${JSON.stringify(byCategory)}`);

    expect(serverErrors.slice(0, 20), 'no 5xx').to.deep.equal([]);
    expect(adminNot401.slice(0, 20), 'admin without a token: 401').to.deep.equal([]);
    // Node closes the connection without an answer only for what is not HTTP at all; none of these is.
    expect(noAnswer.slice(0, 20), 'every request answered').to.deep.equal([]);
    expect((await rawGet(`${server.baseUrl}/health`)).status, 'still serving').to.equal(200);
    expect((await rawGet(`${server.baseUrl}/tiles/county/10/850/410.mvt`, { Authorization: 'Bearer pm_aaaaaaaaaaaa_x' })).status).to.equal(401);
    expect(await checksum(sampleFixture().pool), 'sample database unchanged').to.deep.equal(beforeFixture);
    expect(await checksum(pool), 'metadata unchanged').to.deep.equal(beforeOwn);
    // Refused admin requests are audited: the trail only grew.
    expect(await auditCount(pool)).to.be.greaterThan(auditBefore);
  });
});

/** Sends raw bytes on a new connection; resolves with the response's status (0: closed without one) and its first 4 KB. */
async function operationNotSupported(port: number, request: HostileRequest, text: string): Promise<boolean> {
  const code = 'exceptionCode="OperationNotSupported"';
  if (text.includes(code)) return true;
  if (!request.bytes.subarray(0, 5).equals(Buffer.from('HEAD '))) return false;
  const asGet = { ...request, bytes: Buffer.concat([Buffer.from('GET '), request.bytes.subarray(5)]) };
  const answer = await sendRaw(port, asGet);
  return answer.status === 501 && answer.text.includes(code);
}

function sendRaw(port: number, request: HostileRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received.subarray(0, 16).toString('latin1'));
      resolve({ status: match ? Number(match[1]) : 0, text: received.subarray(0, 4096).toString('utf8') });
    };
    socket.setTimeout(30_000, finish);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // The head and the start of the body are all that is needed; a large body (or a stream) need not be read.
      if (received.length >= 4096) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
    socket.write(request.bytes, () => undefined);
  });
}

/** A digest of every metadata table but the (append-only) audit log, and of the live data. */
async function checksum(pool: Pool): Promise<Record<string, string>> {
  const { rows: tables } = await pool.query<{ name: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'meta' AND tablename <> 'audit_log' ORDER BY 1`,
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    // last_used_at of tokens moves with use: not data a request may change otherwise.
    const { rows } = await pool.query<{ digest: string | null; n: string }>(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest, count(*) AS n FROM ${name} t`);
    result[name] = `${rows[0]!.n}:${rows[0]!.digest ?? ''}`;
  }
  const { rows: views } = await pool.query<{ name: string }>(`SELECT format('%I.%I', schemaname, viewname) AS name FROM pg_views WHERE schemaname = 'live' ORDER BY 1`);
  for (const { name } of views) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`);
    result[name] = rows[0]!.n;
  }
  return result;
}

async function auditCount(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM meta.audit_log');
  return Number(rows[0]!.n);
}
