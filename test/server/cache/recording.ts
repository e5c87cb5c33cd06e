import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../../core/logger.js';
import type { CacheObserver, TierName } from '../../../server/cache/tile-cache.js';

/** A CacheObserver that counts, for tests: `lookups['disk:hit']`, `corrupt.disk`, `computed`. */
export class RecordingObserver implements CacheObserver {
  readonly lookups: Record<string, number> = {};
  readonly corruptEntries: Partial<Record<TierName, number>> = {};
  computedCount = 0;

  lookup(tier: TierName, outcome: 'hit' | 'miss'): void {
    const name = `${tier}:${outcome}`;
    this.lookups[name] = (this.lookups[name] ?? 0) + 1;
  }

  corrupt(tier: TierName): void {
    this.corruptEntries[tier] = (this.corruptEntries[tier] ?? 0) + 1;
  }

  computed(): void {
    this.computedCount += 1;
  }
}

/** A logger whose lines are kept (parsed JSON), to check what is logged and how often. */
export function recordingLogger(): { logger: Logger; lines: { level: number; msg: string; [key: string]: unknown }[] } {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}
