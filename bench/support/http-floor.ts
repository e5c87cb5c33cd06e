import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../core/project-root.js';
import { childServerWhenAnswering, findFreePort, type ServerProcess } from './server-process.js';

/**
 * Response headers that every cached answer of planmap repeats unchanged, as a flat
 * [name, value, ...] list: all but those made per response (X-Request-Id, ETag,
 * Content-Length) and those Node adds itself (Date, Connection, Keep-Alive).
 */
export function constantResponseHeaders(rawHeaders: readonly string[]): string[] {
  const perResponse = new Set(['x-request-id', 'etag', 'content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding']);
  const list: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (!perResponse.has(rawHeaders[i]!.toLowerCase())) list.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return list;
}

/**
 * Starts the bare Node HTTP server of http-floor-server.ts (compiled by compileServer) on the
 * gzip tiles under `root`, answering with `headers` and the per-response ones.
 */
export async function startHttpFloor(root: string, tilesetId: string, headers: readonly string[]): Promise<ServerProcess> {
  const port = await findFreePort();
  const script = join(projectRoot, 'dist', 'bench', 'support', 'http-floor-server.js');
  const child = spawn(process.execPath, [script, String(port), root, tilesetId, JSON.stringify(headers)], { stdio: ['ignore', 'inherit', 'inherit'] });
  return childServerWhenAnswering(child, `http://127.0.0.1:${port}`, 'the HTTP floor server');
}
