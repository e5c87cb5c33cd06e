import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../../logger.js';
import { ExclusiveTurn } from './exclusive-turn.js';
import {
  listenCommand,
  notificationChannel,
  prefixStatementNames,
  readyForQueryStatus,
  splitBackendMessages,
  splitFrontendMessages,
  SSL_REQUEST_CODE,
  GSSENC_REQUEST_CODE,
  CANCEL_REQUEST_CODE,
  SYNC_MESSAGE,
} from './wire-protocol.js';

/**
 * Makes the in-process PGlite reachable by the ordinary `pg` pool, over a Unix socket in a
 * private temporary folder (mode 0700: PGlite has no authentication, so no TCP port).
 *
 * PGlite is one PostgreSQL session. Several pool connections share it the way a
 * transaction-mode pooler shares a server connection: a connection takes the session for a
 * whole round trip or transaction (from its first message until PGlite answers ReadyForQuery
 * with the idle status), so the extended-protocol messages of two connections never interleave
 * and a transaction is never entered by another connection. What is per session in PostgreSQL
 * is made per connection here where the app relies on it:
 * - prepared statement and portal names are prefixed with the connection's number (the pool
 *   prepares the same tile statement name on every connection) and deallocated when it closes;
 * - a connection that closes inside a transaction (or mid extended-protocol exchange) has it
 *   rolled back before anyone else gets the session;
 * - NOTIFY deliveries (they arrive in whichever connection's stream commits) are routed to the
 *   connections that ran LISTEN on that channel; UNLISTEN only forgets the connection's interest.
 * Not per connection (documented limits): session settings (`SET`), temporary tables, and session
 * advisory locks, which are re-entrant within the one session, so they do not exclude two
 * connections of this process from each other. The data-folder lock keeps other processes out.
 * Cancel requests are answered by closing that request's socket: a statement inside PGlite runs
 * on this thread to completion.
 */
export interface ProtocolBridge {
  /** A `pg` connection string for the bridge: `postgres://postgres@localhost/postgres?host=<dir>`. */
  readonly url: string;
  /** Closes every connection (rolling back open transactions) and removes the socket folder. */
  close(): Promise<void>;
}

export async function startProtocolBridge(db: PGlite, logger: Logger): Promise<ProtocolBridge> {
  const socketDir = mkdtempSync(join(tmpdir(), 'planmap-pglite-'));
  const turn = new ExclusiveTurn();
  const connections = new Set<BridgeConnection>();
  let nextId = 1;
  const server: Server = createServer((socket) => {
    const connection = new BridgeConnection(nextId++, socket, db, turn, connections, logger);
    connections.add(connection);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // libpq's naming: a client given host=<dir> and port 5432 opens <dir>/.s.PGSQL.5432.
    server.listen(join(socketDir, '.s.PGSQL.5432'), () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((connection) => connection.destroy()));
      await closed;
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

/** One client connection of the bridge. Its messages are handled strictly in arrival order. */
class BridgeConnection {
  private readonly prefix: string;
  private readonly preparedNames = new Set<string>();
  private readonly channels = new Set<string>();
  private input: Buffer = Buffer.alloc(0);
  private isStarted = false;
  private holdsTurn = false;
  /** Between an extended-protocol message and its Sync, PGlite owes the client a ReadyForQuery. */
  private awaitsSync = false;
  private transactionStatus = 'I';
  private pending: Promise<void> = Promise.resolve();
  private isClosed = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly db: PGlite,
    private readonly turn: ExclusiveTurn,
    private readonly connections: Set<BridgeConnection>,
    private readonly logger: Logger,
  ) {
    this.prefix = `c${id}_`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
      this.pending = this.pending.then(() => this.drain()).catch((error: unknown) => this.fail(error));
    });
    socket.on('error', () => undefined); // a client that vanishes: 'close' follows and cleans up
    socket.on('close', () => {
      this.pending = this.pending.then(() => this.cleanUp()).catch((error: unknown) => this.fail(error));
    });
  }

  /** Ends the connection from the server side (bridge shutdown) and waits for its clean-up. */
  async destroy(): Promise<void> {
    this.socket.destroy();
    await this.pending.then(() => this.cleanUp());
  }

  private async drain(): Promise<void> {
    if (this.isClosed) return;
    if (!this.isStarted) {
      const startup = this.takeStartupPacket();
      if (!startup) return;
      await this.forward(startup);
    }
    const { messages, rest } = splitFrontendMessages(this.input);
    this.input = rest;
    for (const message of messages) {
      if (this.isClosed) return;
      if (message[0] === 0x58 /* X: Terminate */) {
        this.socket.end();
        return;
      }
      await this.forward(this.rewrite(message));
    }
  }

  /** SSL/GSS requests are declined, cancel requests closed; returns the startup packet once whole. */
  private takeStartupPacket(): Buffer | null {
    for (;;) {
      if (this.input.length < 8) return null;
      const length = this.input.readInt32BE(0);
      const code = this.input.readInt32BE(4);
      if (this.input.length < length) return null;
      const packet = this.input.subarray(0, length);
      this.input = this.input.subarray(length);
      if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
        this.socket.write('N');
        continue;
      }
      if (code === CANCEL_REQUEST_CODE) {
        this.socket.end();
        this.isClosed = true;
        return null;
      }
      this.isStarted = true;
      return packet;
    }
  }

  /** Statement names made per connection; LISTEN/UNLISTEN tracked for routing notifications. */
  private rewrite(message: Buffer): Buffer {
    const type = String.fromCharCode(message[0]!);
    if (type === 'Q') {
      const command = listenCommand(message);
      if (command?.kind === 'listen') this.channels.add(command.channel);
      if (command?.kind === 'unlisten') {
        // The session keeps listening for the other connections; this one stops receiving.
        if (command.channel === '*') this.channels.clear();
        else this.channels.delete(command.channel);
        return emptyQuery();
      }
    }
    if (type === 'P' || type === 'B' || type === 'D' || type === 'C' || type === 'E') {
      return prefixStatementNames(message, this.prefix, (name) => {
        if (type === 'P') this.preparedNames.add(name);
        if (type === 'C' && message[5] === 0x53 /* S */) this.preparedNames.delete(name);
      });
    }
    return message;
  }

  /** Sends one message to PGlite inside this connection's turn, streaming the answer back. */
  private async forward(message: Buffer): Promise<void> {
    if (!this.holdsTurn) {
      await this.turn.acquire();
      this.holdsTurn = true;
    }
    const type = message[0];
    const isExtended = type === 0x50 || type === 0x42 || type === 0x44 || type === 0x45 || type === 0x43 || type === 0x48;
    if (isExtended) this.awaitsSync = true;
    let sawReady = false;
    let carry: Buffer = Buffer.alloc(0);
    await this.db.runExclusive(() =>
      this.db.execProtocolRawStream(new Uint8Array(message.buffer, message.byteOffset, message.length), {
        onRawData: (data: Uint8Array) => {
          const bytes = carry.length === 0 ? Buffer.from(data) : Buffer.concat([carry, data]);
          const { messages, rest } = splitBackendMessages(bytes);
          carry = rest;
          for (const reply of messages) {
            const status = readyForQueryStatus(reply);
            if (status !== null) {
              this.transactionStatus = status;
              sawReady = true;
            }
            const channel = notificationChannel(reply);
            if (channel !== null) {
              this.route(channel, reply);
              continue;
            }
            if (!this.isClosed && this.socket.writable) this.socket.write(reply);
          }
        },
      }),
    );
    if (sawReady) this.awaitsSync = false;
    if (sawReady && this.transactionStatus === 'I' && !this.awaitsSync) this.releaseTurn();
  }

  /** A NOTIFY delivery goes to every connection that listens on its channel. */
  private route(channel: string, reply: Buffer): void {
    for (const connection of this.connections) {
      if (connection.channels.has(channel) && !connection.isClosed && connection.socket.writable) connection.socket.write(reply);
    }
  }

  private releaseTurn(): void {
    if (!this.holdsTurn) return;
    this.holdsTurn = false;
    this.turn.release();
  }

  /** Leaves the session as it found it: no half exchange, no open transaction, no statements. */
  private async cleanUp(): Promise<void> {
    if (this.isClosed && !this.connections.has(this)) return;
    this.isClosed = true;
    this.connections.delete(this);
    try {
      const needsSession = this.holdsTurn || this.preparedNames.size > 0;
      if (!needsSession) return;
      if (!this.holdsTurn) {
        await this.turn.acquire();
        this.holdsTurn = true;
      }
      if (this.awaitsSync) await this.db.runExclusive(() => this.db.execProtocolRaw(SYNC_MESSAGE));
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
      for (const name of this.preparedNames) await this.db.exec(`DEALLOCATE ${quoteIdentifier(name)}`).catch(() => undefined);
      this.preparedNames.clear();
    } finally {
      this.releaseTurn();
    }
  }

  private fail(error: unknown): void {
    this.logger.warn({ err: error, connection: this.id }, 'embedded database bridge: connection failed');
    this.socket.destroy();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A Query message with no statement: PGlite answers EmptyQueryResponse + ReadyForQuery. */
function emptyQuery(): Buffer {
  const message = Buffer.alloc(6);
  message.write('Q', 0, 'latin1');
  message.writeInt32BE(5, 1);
  message[5] = 0;
  return message;
}
