import type { AccessLevel } from '../../core/config/access-schema.js';
import type { Pool } from '../../core/db/pool.js';
import { createTestDatabase, openMigratedPool, testConfig, type TestDatabase } from '../support/test-database.js';
import { startAccessServer, type AccessServer } from '../server/access/access-test-server.js';

export interface ReliabilityServer {
  /** The pool of the suite's own database (users, tokens, audit trail). */
  readonly pool: Pool;
  readonly server: AccessServer;
}

/**
 * Registers the `before` and `after` hooks of a reliability suite: a database of its own,
 * and a server with the memory cache and no rate limits (they are tested on their own: here
 * every request must reach its route). `prepare` runs on the new database before the server
 * starts (tokens, users). Read the fields inside tests and hooks, not at registration.
 */
export function reliabilityServer(name: string, tilesetLevels: Readonly<Record<string, AccessLevel>>, prepare?: (pool: Pool) => Promise<void>): ReliabilityServer {
  let database: TestDatabase | undefined;
  let pool: Pool | undefined;
  let server: AccessServer | undefined;
  before(async () => {
    database = await createTestDatabase(name);
    pool = await openMigratedPool(testConfig(database.url));
    await prepare?.(pool);
    server = await startAccessServer(pool, database.url, {
      tilesetLevels,
      memoryCache: true,
      adjustAccess: (access) => {
        access.rateLimits = { enabled: false };
      },
    });
  });
  after(async () => {
    await server?.close();
    await pool?.end();
    await database?.drop();
  });
  return {
    get pool() {
      if (!pool) throw new Error(`${name}: the database is not open (read the pool inside a test or hook)`);
      return pool;
    },
    get server() {
      if (!server) throw new Error(`${name}: the server is not started (read it inside a test or hook)`);
      return server;
    },
  };
}
