import pg from 'pg';
import type { Logger } from '../../core/logger.js';

/** The channel meta.publish_version() NOTIFYs on (core/db/migrations/002-publish-function.ts). */
export const PUBLISH_CHANNEL = 'planmap_publish';

/** One publish or rollback, as meta.publish_version() announces it. */
export interface PublishNotice {
  readonly dataset: string;
  readonly version: number;
}

export interface PublishListenerOptions {
  /** The database to listen on (the same one the tile pool reads). */
  readonly connectionString: string;
  /** Told of every publish or rollback committed by any process on the database. */
  readonly onPublish: (notice: PublishNotice) => void;
  /**
   * Told when notices may have been missed: listening started again after the connection was
   * lost (notices sent meanwhile are gone), or a notice could not be read. Whatever they would
   * have refreshed must be refreshed now.
   */
  readonly onMissedNotices: (reason: string) => void;
  readonly logger: Logger;
  readonly connectTimeoutMs?: number;
  /** First wait before reconnecting; doubled after each failed attempt up to `maxReconnectDelayMs`. */
  readonly reconnectDelayMs?: number;
  readonly maxReconnectDelayMs?: number;
}

/**
 * A dedicated connection (not one of the tile pool's: LISTEN belongs to a session, and a pooled
 * connection is shared) that LISTENs for publishes. PostgreSQL delivers a NOTIFY only when the
 * publishing transaction commits, to every listening session, whichever process published. When
 * the connection drops it reconnects with exponential backoff, and then reports the reconnect,
 * since notices sent while it was away are lost.
 */
export class PublishListener {
  private client: pg.Client | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  private stopped = false;
  private everConnected = false;
  private connecting: Promise<void> | null = null;

  constructor(private readonly options: PublishListenerOptions) {}

  /** Starts listening; settles after the first attempt (when it fails, retries go on in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  /** True while a connection is LISTENing. */
  get listening(): boolean {
    return this.client !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.connecting;
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }

  private connect(): Promise<void> {
    this.connecting = this.attempt().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async attempt(): Promise<void> {
    const { logger } = this.options;
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: 'planmap-publish-listener',
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5000,
      // A silently vanished peer (a cut network, not a closed socket) is noticed by TCP keepalive.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // Until connected, errors reject connect(); afterwards they mean the connection dropped.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === PUBLISH_CHANNEL) this.deliver(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${PUBLISH_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.attempts += 1;
      logger.warn({ err: error, attempt: this.attempts }, 'cannot listen for publishes; retrying');
      this.scheduleRetry();
      return;
    }
    if (this.stopped) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      return;
    }
    // Anything published before this moment but after the first attempt went unheard.
    const missed = this.everConnected || this.attempts > 0;
    this.client = client;
    this.attempts = 0;
    this.everConnected = true;
    logger.info({ channel: PUBLISH_CHANNEL, reconnected: missed }, 'listening for publishes');
    if (missed) this.options.onMissedNotices('listening again after the connection was lost');
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.options.logger.warn({ err: error }, 'publish listener connection lost; reconnecting');
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const first = this.options.reconnectDelayMs ?? 250;
    const delay = Math.min(first * 2 ** Math.max(0, this.attempts - 1), this.options.maxReconnectDelayMs ?? 30_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private deliver(payload: string | undefined): void {
    const notice = parseNotice(payload);
    if (!notice) {
      this.options.logger.warn({ payload }, 'publish notice not understood; refreshing anyway');
      this.options.onMissedNotices('a publish notice was not understood');
      return;
    }
    this.options.onPublish(notice);
  }
}

function parseNotice(payload: string | undefined): PublishNotice | null {
  try {
    const value = JSON.parse(payload ?? '') as { dataset?: unknown; version?: unknown };
    if (typeof value.dataset === 'string' && Number.isInteger(value.version)) return { dataset: value.dataset, version: value.version as number };
  } catch {
    // Not JSON: handled below as not understood.
  }
  return null;
}
