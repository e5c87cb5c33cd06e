import { expect } from 'chai';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { startProtocolBridge, type ProtocolBridge } from '../../../../core/db/embedded/protocol-bridge.js';
import { silentLogger } from '../../../support/test-database.js';

/*
 * The bridge that lets the ordinary `pg` pool use the one PGlite session: several connections,
 * each with its own prepared statements, transactions that others cannot enter, notifications
 * routed to the connections that listen. PGlite in memory (no PostGIS needed here).
 */
describe('embedded database protocol bridge', function () {
  this.timeout(300_000);
  let db: PGlite;
  let bridge: ProtocolBridge;
  let pool: pg.Pool;

  before(async () => {
    db = await PGlite.create();
    bridge = await startProtocolBridge(db, silentLogger);
    pool = new pg.Pool({ connectionString: bridge.url, max: 4 });
    await pool.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
  });

  after(async () => {
    await pool?.end();
    await bridge?.close();
    await db?.close();
  });

  it('serves four pool connections at once, each preparing the same statement name', async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(() => pool.connect()));
    try {
      const results = await Promise.all(clients.map(async (client, i) => {
        const first = await client.query({ name: 'same-name', text: 'SELECT $1::int * 10 AS v', values: [i] });
        const again = await client.query({ name: 'same-name', text: 'SELECT $1::int * 10 AS v', values: [i + 1] });
        return [first.rows[0].v, again.rows[0].v];
      }));
      expect(results).to.deep.equal([[0, 10], [10, 20], [20, 30], [30, 40]]);
    } finally {
      clients.forEach((client) => client.release());
    }
  });

  it('keeps a transaction to its connection: another connection waits until it commits', async () => {
    await pool.query('INSERT INTO counter VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET n = 0');
    const a = await pool.connect();
    const b = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query('UPDATE counter SET n = 1 WHERE id = 1');
      const order: string[] = [];
      const read = b.query<{ n: number }>('SELECT n FROM counter WHERE id = 1').then((result) => {
        order.push('b read');
        return result.rows[0]!.n;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      order.push('a commits');
      await a.query('COMMIT');
      expect(await read).to.equal(1);
      expect(order).to.deep.equal(['a commits', 'b read']);
    } finally {
      a.release();
      b.release();
    }
  });

  it('rolls back the transaction of a connection that goes away, and others carry on', async () => {
    await pool.query('INSERT INTO counter VALUES (2, 0) ON CONFLICT (id) DO UPDATE SET n = 0');
    const lost = new pg.Client({ connectionString: bridge.url });
    await lost.connect();
    await lost.query('BEGIN');
    await lost.query('UPDATE counter SET n = 99 WHERE id = 2');
    const waiting = pool.query<{ n: number }>('SELECT n FROM counter WHERE id = 2');
    // Cut the socket without COMMIT or Terminate, as a crashed client would.
    (lost as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    lost.on('error', () => undefined);
    expect((await waiting).rows[0]!.n).to.equal(0);
  });

  it('delivers NOTIFY to the connections that LISTEN on the channel, and only to them', async () => {
    const listener = new pg.Client({ connectionString: bridge.url });
    const other = new pg.Client({ connectionString: bridge.url });
    await Promise.all([listener.connect(), other.connect()]);
    try {
      const heard: string[] = [];
      const overheard: string[] = [];
      listener.on('notification', (message) => heard.push(`${message.channel}:${message.payload}`));
      other.on('notification', (message) => overheard.push(`${message.channel}:${message.payload}`));
      await listener.query('LISTEN planmap_publish');
      await other.query('LISTEN something_else');
      await pool.query("SELECT pg_notify('planmap_publish', 'landuse:3')");
      await pool.query('SELECT 1'); // a notice may ride on the next round trip
      await waitFor(() => heard.length > 0);
      expect(heard).to.deep.equal(['planmap_publish:landuse:3']);
      expect(overheard).to.deep.equal([]);
      await listener.query('UNLISTEN planmap_publish');
      await pool.query("SELECT pg_notify('planmap_publish', 'landuse:4')");
      await pool.query('SELECT 1');
      expect(heard).to.deep.equal(['planmap_publish:landuse:3']);
    } finally {
      await Promise.all([listener.end(), other.end()]);
    }
  });

  it('answers a failing statement with its error and keeps the session usable', async () => {
    let error: unknown;
    try {
      await pool.query('SELECT * FROM no_such_table');
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).to.match(/relation "no_such_table" does not exist/);
    expect((await pool.query('SELECT 2 AS v')).rows[0].v).to.equal(2);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}
