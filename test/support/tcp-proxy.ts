import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../../core/config/load-config.js';
import { createPool, type Pool } from '../../core/db/pool.js';
import { silentLogger } from './test-database.js';

/**
 * A TCP relay in front of the real PostgreSQL, so a test can make the database "go away"
 * (refuse new connections and cut open ones) and "come back" on the same address, without
 * touching the server the rest of the suite uses.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** The database is gone: open connections are cut, new ones refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * A pool that reaches the configured database through a new TcpProxy, so a test can cut and
 * restore the database under a running server without touching the shared cluster. Connection
 * attempts give up after a second, so an outage shows quickly.
 */
export async function poolBehindProxy(config: AppConfig, applicationName: string): Promise<{ proxy: TcpProxy; pool: Pool }> {
  const target = new URL(config.databaseUrl);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  await proxy.start();
  const viaProxy = new URL(config.databaseUrl);
  viaProxy.port = String(proxy.port);
  const pool = createPool({
    url: viaProxy.toString(),
    database: { ...config.database, connectTimeoutMs: 1000 },
    applicationName,
    logger: silentLogger,
  });
  return { proxy, pool };
}
