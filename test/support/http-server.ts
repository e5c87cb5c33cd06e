import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** Listens on an ephemeral port of 127.0.0.1. */
export async function listen(app: http.RequestListener): Promise<RunningServer> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body exactly as sent (not decompressed). */
  readonly body: Buffer;
}

/** A GET that shows the response as it is on the wire: no automatic decompression. */
export function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** Parses a JSON body, failing the test with the body text when it is not JSON. */
export function jsonBody<T = Record<string, unknown>>(response: RawResponse): T {
  try {
    return JSON.parse(response.body.toString('utf8')) as T;
  } catch {
    throw new Error(`expected a JSON body, got ${response.status}: ${response.body.toString('utf8').slice(0, 200)}`);
  }
}
