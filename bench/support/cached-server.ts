import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../core/project-root.js';
import type { ServerProcess } from './server-process.js';

const READY_TIMEOUT_MS = 120_000;
const READY_POLL_MS = 250;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Compiles the project once for the benchmark's servers. Type errors elsewhere in the tree
 * (work in progress) do not stop it: tsc still writes JavaScript, and only a missing
 * `dist/server/main.js` newer than the compile is an error.
 */
export function compileServer(): void {
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: projectRoot, encoding: 'utf8' });
  const main = join(projectRoot, 'dist', 'server', 'main.js');
  let mtimeMs = 0;
  try {
    mtimeMs = statSync(main).mtimeMs;
  } catch {
    // Reported below.
  }
  if (mtimeMs < started - 1000) throw new Error(`tsc did not write ${main}:\n${result.stdout}${result.stderr}`);
  if (result.status !== 0) console.error(`bench: tsc reported type errors (JavaScript written anyway):\n${result.stdout.split('\n').slice(0, 5).join('\n')}`);
}

/**
 * Starts `node dist/server/main.js` (as `npm start` runs it, after compileServer) on a free
 * port with the given configuration file, and resolves once GET /ready answers 200.
 */
export async function startConfiguredServer(databaseUrl: string, configFile: string): Promise<ServerProcess> {
  const port = await findFreePort();
  const child = spawn(process.execPath, [join('dist', 'server', 'main.js')], {
    cwd: projectRoot,
    env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, CONFIG_FILE: configFile, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(process.stderr);
  child.stderr?.pipe(process.stderr);
  const server: ServerProcess = { baseUrl: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
  try {
    await waitUntilReady(child, server.baseUrl);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitUntilReady(child: ChildProcess, baseUrl: string): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the server exited during start-up (exit code ${child.exitCode ?? child.signalCode}); its log is above`);
    if ((await readyStatus(baseUrl)) === 200) return;
    await sleep(READY_POLL_MS);
  }
  throw new Error(`the server was not ready within ${READY_TIMEOUT_MS / 1000} s (GET ${baseUrl}/ready)`);
}

function readyStatus(baseUrl: string): Promise<number | null> {
  return new Promise((resolve) => {
    const request = get(`${baseUrl}/ready`, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? null);
    });
    request.setTimeout(READY_POLL_MS * 8, () => request.destroy());
    request.on('error', () => resolve(null));
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = new AbortController();
  const timeout = sleep(STOP_TIMEOUT_MS, 'timeout', { signal: timer.signal }).catch(() => 'cancelled');
  const outcome = await Promise.race([exited, timeout]);
  timer.abort();
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function findFreePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  await once(probe, 'close');
  if (!address || typeof address === 'string') throw new Error('could not find a free TCP port');
  return address.port;
}
