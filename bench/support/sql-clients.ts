import pg from 'pg';
import type { DatabaseConfig } from '../../core/config/schema.js';
import { sessionSettings } from '../../core/db/pool.js';
import type { TileCoord } from '../../core/grid/tile-matrix-set.js';
import type { MvtQuery } from '../../server/sources/mvt-query.js';
import type { FetchTile } from './load-runner.js';

/**
 * The SQL side: one dedicated pg connection per worker, running the server's own ST_AsMVT
 * statement (same text, same parameters, same prepared-statement name, same statement
 * deadline) and receiving the tile the way the server does, through `pg`. What this side
 * reaches is the ceiling for the HTTP server on this machine.
 */
export class SqlClients {
  private readonly clients: readonly pg.Client[];

  private constructor(clients: readonly pg.Client[]) {
    this.clients = clients;
  }

  static async open(url: string, database: DatabaseConfig, count: number): Promise<SqlClients> {
    const clients = Array.from({ length: count }, () => new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: database.connectTimeoutMs,
      // The server's own session settings (deadline, plan cache mode), so both sides plan alike.
      options: sessionSettings(database),
      application_name: 'planmap-bench-sql',
    }));
    // A connection that dies mid-run makes its next queries fail, which the run counts as
    // errors; without a listener the 'error' event would crash the process instead.
    for (const client of clients) client.on('error', () => undefined);
    try {
      await Promise.all(clients.map((client) => client.connect()));
    } catch (error) {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      throw error;
    }
    return new SqlClients(clients);
  }

  /** A FetchTile running `query` on the worker's own connection. */
  fetcher(query: MvtQuery): FetchTile {
    return async (tile: TileCoord, worker: number) => {
      const client = this.clients[worker];
      if (!client) throw new Error(`no SQL connection for worker ${worker} (${this.clients.length} open)`);
      const { rows } = await client.query<{ mvt: Buffer | null }>({ text: query.text, values: query.values(tile), name: query.name });
      const mvt = rows[0]?.mvt;
      return { bytes: mvt?.length ?? 0, isEmpty: !mvt || mvt.length === 0 };
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.end().catch(() => undefined)));
  }
}
