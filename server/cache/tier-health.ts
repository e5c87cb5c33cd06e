import type { Logger } from '../../core/logger.js';
import type { TierName } from './tile-cache.js';

/**
 * Whether a shared tier is usable, and the one log line per outage. After a failure the tier is
 * bypassed for `retryAfterMs`; then the next operation tries it again. Failing again extends
 * the pause silently; the first success after an outage logs that the tier is back.
 */
export class TierHealth {
  private downSince: number | null = null;
  private retryAt = 0;

  constructor(
    private readonly tier: TierName,
    private readonly logger: Logger,
    private readonly retryAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while the tier is paused after a failure. */
  isBypassed(): boolean {
    return this.downSince !== null && this.now() < this.retryAt;
  }

  get isDown(): boolean {
    return this.downSince !== null;
  }

  failed(error: unknown): void {
    this.retryAt = this.now() + this.retryAfterMs;
    if (this.downSince !== null) return;
    this.downSince = this.now();
    const { code, message } = describe(error);
    this.logger.warn(
      { tier: this.tier, code, retryAfterSeconds: this.retryAfterMs / 1000 },
      `tile cache: ${this.tier} tier unavailable (${message}); serving without it, retrying in the background`,
    );
  }

  succeeded(): void {
    if (this.downSince === null) return;
    const outageSeconds = Math.round((this.now() - this.downSince) / 1000);
    this.downSince = null;
    this.logger.info({ tier: this.tier, outageSeconds }, `tile cache: ${this.tier} tier available again`);
  }
}

function describe(error: unknown): { code: string | undefined; message: string } {
  if (!(error instanceof Error)) return { code: undefined, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : undefined, message: error.message };
}
