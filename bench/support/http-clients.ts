import { Agent, get, type IncomingMessage } from 'node:http';
import type { TileCoord } from '../../core/grid/tile-matrix-set.js';
import type { FetchTile } from './load-runner.js';

/** A request that takes longer is a failure; the server's own statement deadline is 15 s. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Characters of an unexpected response body quoted in the error. */
const MAX_QUOTED_BODY = 200;

/**
 * The HTTP side: keep-alive connections to the server, as a map client holds them. Tiles are
 * asked for with `Accept-Encoding: gzip`, as browsers do, and received but not decompressed:
 * the client's own work should not count against the server.
 */
export class HttpClients {
  private readonly agent: Agent;
  private readonly baseUrl: URL;

  constructor(baseUrl: string, concurrency: number) {
    this.baseUrl = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  }

  /** A FetchTile for `/tiles/{tilesetId}/{z}/{x}/{y}.mvt`: 200 and 204 succeed, anything else fails. */
  fetcher(tilesetId: string): FetchTile {
    return (tile: TileCoord) =>
      new Promise((resolve, reject) => {
        const request = get(
          {
            agent: this.agent,
            host: this.baseUrl.hostname,
            port: this.baseUrl.port,
            path: `/tiles/${tilesetId}/${tile.z}/${tile.x}/${tile.y}.mvt`,
            headers: { 'Accept-Encoding': 'gzip' },
          },
          (response) => {
            const { statusCode } = response;
            if (statusCode === 200 || statusCode === 204) {
              countBody(response).then((bytes) => resolve({ bytes, isEmpty: statusCode === 204 }), reject);
            } else {
              readBody(response).then((body) => {
                reject(new Error(`HTTP ${statusCode}: ${body.toString('utf8', 0, MAX_QUOTED_BODY)}`));
              }, reject);
            }
          },
        );
        request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)));
        request.on('error', reject);
      });
  }

  /** Closes the kept-alive connections, so that the server can shut down at once. */
  close(): void {
    this.agent.destroy();
  }
}

/** Receives a body without keeping it: the client's work should stay small. */
function countBody(response: IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    response.on('data', (chunk: Buffer) => (bytes += chunk.length));
    response.on('end', () => resolve(bytes));
    response.on('error', reject);
  });
}

function readBody(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks)));
    response.on('error', reject);
  });
}
