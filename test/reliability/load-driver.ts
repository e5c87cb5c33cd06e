import http from 'node:http';
import { seededRandom } from './seeded-random.js';

export interface LoadOptions {
  readonly baseUrl: string;
  /** Paths asked for; `hotShare` of the requests go to the first `hotCount` (cached after their first read). */
  readonly paths: readonly string[];
  readonly hotCount: number;
  readonly hotShare: number;
  readonly clients: number;
  readonly durationMs: number;
  readonly seed: number;
  /** Statuses that count as success (default 200, 204, 304). */
  readonly okStatuses?: readonly number[];
  readonly headers?: Record<string, string>;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  /** The first few errors, to say what went wrong. */
  readonly errorSamples: string[];
  readonly statusCounts: Record<string, number>;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly requestsPerSecond: number;
}

/**
 * `clients` concurrent clients, each on its own keep-alive connection, asking for tiles in a
 * loop for `durationMs`: a mix of hot (cached) and cold (computed) paths chosen by a seeded
 * PRNG. Every response is read to its end; an error is a network failure or a status outside
 * `okStatuses`.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const random = seededRandom(options.seed);
  const ok = new Set(options.okStatuses ?? [200, 204, 304]);
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  const errorSamples: string[] = [];
  let errors = 0;
  let requests = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const started = performance.now();
  const deadline = started + options.durationMs;
  const pick = (): string => {
    const hot = random() < options.hotShare;
    const index = hot ? Math.floor(random() * options.hotCount) : options.hotCount + Math.floor(random() * (options.paths.length - options.hotCount));
    return options.paths[Math.min(index, options.paths.length - 1)]!;
  };
  const one = (path: string): Promise<void> =>
    new Promise((resolve) => {
      const sent = performance.now();
      requests++;
      const fail = (text: string) => {
        errors++;
        if (errorSamples.length < 10) errorSamples.push(`${path}: ${text}`);
        resolve();
      };
      const req = http.get(`${options.baseUrl}${path}`, { agent, headers: { 'Accept-Encoding': 'gzip', ...options.headers } }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          statusCounts[status] = (statusCounts[status] ?? 0) + 1;
          latencies.push(performance.now() - sent);
          if (!ok.has(status)) fail(`status ${status}`);
          else resolve();
        });
        res.on('error', (error) => fail(error.message));
      });
      req.on('error', (error) => fail(error.message));
    });
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (performance.now() < deadline) await one(pick());
    }),
  );
  agent.destroy();
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => (latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
  return {
    requests,
    errors,
    errorSamples,
    statusCounts,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    requestsPerSecond: requests / elapsed,
  };
}

export function formatLoad(label: string, result: LoadResult): string {
  return `${label}: ${result.requests} requests (${result.requestsPerSecond.toFixed(0)}/s), ${result.errors} errors, p50 ${result.p50Ms.toFixed(1)} ms, p90 ${result.p90Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, max ${result.maxMs.toFixed(1)} ms; statuses ${JSON.stringify(result.statusCounts)}`;
}
