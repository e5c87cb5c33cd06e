import { Agent, get } from 'node:http';
import type { TileCoord } from '../../core/grid/tile-matrix-set.js';
import type { FetchTile } from './load-runner.js';

const REQUEST_TIMEOUT_MS = 30_000;

/** Milliseconds per step of the server's raster renders, summed from their Server-Timing headers. */
export class RenderSplit {
  count = 0;
  readonly totalsMs: Record<string, number> = { vector: 0, decode: 0, draw: 0, encode: 0 };

  add(header: string | undefined): void {
    if (!header) return;
    this.count += 1;
    for (const match of header.matchAll(/(\w+);dur=([\d.]+)/g)) {
      if (match[1]! in this.totalsMs) this.totalsMs[match[1]!]! += Number(match[2]);
    }
  }

  meanMs(step: string): number {
    return this.count === 0 ? Number.NaN : this.totalsMs[step]! / this.count;
  }
}

/**
 * Keep-alive HTTP clients for raster tiles (`/styles/{style}/{z}/{x}/{y}.png`) and, for the
 * comparison, vector tiles of the same server. A raster response's Server-Timing header is
 * added to `split` when one is given.
 */
export class TileClients {
  private readonly agent: Agent;
  private readonly baseUrl: URL;

  constructor(baseUrl: string, concurrency: number) {
    this.baseUrl = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  }

  raster(styleId: string, split?: RenderSplit): FetchTile {
    return this.fetcher((tile) => `/styles/${styleId}/${tile.z}/${tile.x}/${tile.y}.png`, split);
  }

  vector(tilesetId: string): FetchTile {
    return this.fetcher((tile) => `/tiles/${tilesetId}/${tile.z}/${tile.x}/${tile.y}.mvt`);
  }

  private fetcher(pathOf: (tile: TileCoord) => string, split?: RenderSplit): FetchTile {
    return (tile) =>
      new Promise((resolve, reject) => {
        const request = get(
          { agent: this.agent, host: this.baseUrl.hostname, port: this.baseUrl.port, path: pathOf(tile), headers: { 'Accept-Encoding': 'gzip' } },
          (response) => {
            let bytes = 0;
            const chunks: Buffer[] = [];
            const isOk = response.statusCode === 200 || response.statusCode === 204;
            response.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              if (!isOk) chunks.push(chunk);
            });
            response.on('end', () => {
              if (!isOk) {
                reject(new Error(`HTTP ${response.statusCode} for ${pathOf(tile)}: ${Buffer.concat(chunks).toString('utf8', 0, 200)}`));
                return;
              }
              split?.add(response.headers['server-timing'] as string | undefined);
              resolve({ bytes, isEmpty: response.statusCode === 204 });
            });
            response.on('error', reject);
          },
        );
        request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)));
        request.on('error', reject);
      });
  }

  close(): void {
    this.agent.destroy();
  }
}
