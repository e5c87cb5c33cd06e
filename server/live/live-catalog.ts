import type { Logger } from '../../core/logger.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';

export interface LiveCatalogOptions {
  /** Requests arriving within this long of the first are served by one rebuild. */
  readonly debounceMs?: number;
}

/** How a rebuild ended: the catalog now served, and the error when the old one was kept. */
export interface RefreshResult {
  readonly catalog: TilesetCatalog;
  readonly error: Error | null;
}

/**
 * The catalog requests read, rebuilt when the live data changes. A rebuild is made aside and
 * swapped in whole, so a request sees the old catalog or the new one, never a half-built one;
 * a rebuild that fails keeps the old catalog (logged), which still serves the views it knew.
 * Bursts of requests (a publish of several datasets, a reconnect) are debounced into one
 * rebuild, and a request arriving during a rebuild runs one more after it: the last publish is
 * never missed.
 */
export class LiveCatalog {
  private catalog: TilesetCatalog;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private pendingAfterRun = false;
  private stopped = false;
  private readonly waiting: ((result: RefreshResult) => void)[] = [];
  private readonly debounceMs: number;
  /** Successful rebuilds so far (0 = the start-up catalog). */
  generation = 0;
  /** Refresh requests received so far (a burst counts each; logs and tests). */
  requests = 0;

  constructor(initial: TilesetCatalog, private readonly build: () => Promise<TilesetCatalog>, private readonly logger: Logger, options: LiveCatalogOptions = {}) {
    this.catalog = initial;
    this.debounceMs = options.debounceMs ?? 50;
  }

  current(): TilesetCatalog {
    return this.catalog;
  }

  /** Asks for a rebuild soon; `reason` goes to the log. */
  requestRefresh(reason: string): void {
    if (this.stopped) return;
    this.requests += 1;
    this.logger.debug({ reason }, 'tileset catalog refresh requested');
    if (this.running) {
      this.pendingAfterRun = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.rebuild().finally(() => {
        this.running = null;
        if (this.pendingAfterRun) {
          this.pendingAfterRun = false;
          this.requestRefresh('changed during the previous rebuild');
        }
      });
    }, this.debounceMs);
  }

  /** Settles after the next rebuild ends (swapped, or failed and kept the old catalog). */
  whenRefreshed(): Promise<RefreshResult> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** No more rebuilds; waits for a running one. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pendingAfterRun = false;
    await this.running;
  }

  private async rebuild(): Promise<void> {
    let error: Error | null = null;
    try {
      const next = await this.build();
      this.catalog = next;
      this.generation += 1;
      this.logger.info({ tilesets: next.list().map((layer) => `${layer.id}@v${layer.info.dataVersion}`), generation: this.generation }, 'tileset catalog rebuilt');
    } catch (caught) {
      error = caught instanceof Error ? caught : new Error(String(caught));
      this.logger.error({ err: error }, 'tileset catalog rebuild failed; still serving the previous one');
    }
    for (const resolve of this.waiting.splice(0)) resolve({ catalog: this.catalog, error });
  }
}
