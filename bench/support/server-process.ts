import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { projectRoot } from '../../core/project-root.js';

/** Start-up applies migrations and reads the catalog; the sample is already there. */
const READY_TIMEOUT_MS = 120_000;
const READY_POLL_MS = 250;
/** After SIGTERM the server drains and closes its pool; past this it is killed. */
const STOP_TIMEOUT_MS = 5_000;

export interface ServerProcess {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly baseUrl: string;
  /** Stops the server (SIGTERM, then SIGKILL); safe to call more than once. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** CONFIG_FILE for the server (default: config/default.yaml). */
  readonly configFile?: string;
  /** Compile first (default); false when compileServer() ran once for several servers. */
  readonly compile?: boolean;
  /** Server processes on the port (WORKERS; server.workers); 1 by default. */
  readonly workers?: number;
}

/**
 * Compiles the project for the benchmark's servers, which run as `npm start` runs them:
 * compiled JavaScript, not the tsx loader (whose keepNames wrappers show up in a profile of the
 * hot path). tsc reports type errors (printed) but still emits: a type error in a file the server
 * does not load must not stop a benchmark; a server that cannot start fails later anyway.
 */
export function compileServer(): void {
  try {
    execFileSync(process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: projectRoot, stdio: 'inherit' });
  } catch (error) {
    if (!existsSync(join(projectRoot, 'dist', 'server', 'main.js'))) throw error;
    console.error('bench: tsc reported errors (above); running the JavaScript it emitted');
  }
}

/**
 * Starts the real server (`server/main.ts`) as a child process on a free port, on the given
 * database, and resolves once GET /ready answers 200. Its log (LOG_LEVEL=warn) goes to our
 * stderr, so the printed table stays clean. Rejects, after stopping it, when the server exits
 * or is not ready in time.
 */
export async function startServer(databaseUrl: string, { configFile, compile = true, workers = 1 }: StartServerOptions = {}): Promise<ServerProcess> {
  const port = await findFreePort();
  // BENCH_SERVER_NODE_ARGS passes flags to the server's node only (e.g. "--cpu-prof
  // --cpu-prof-dir=/tmp/prof", which NODE_OPTIONS does not allow), to profile it under load.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (compile) compileServer();
  const child = spawn(process.execPath, [...nodeArgs, join('dist', 'server', 'main.js')], {
    cwd: projectRoot,
    env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', WORKERS: String(workers), ...(configFile ? { CONFIG_FILE: configFile } : {}) },
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

/** Status of GET /ready, or null while nothing listens yet. */
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
  // Cancelled once the child exits, so that the timer does not hold the process open.
  const timer = new AbortController();
  const timeout = sleep(STOP_TIMEOUT_MS, 'timeout', { signal: timer.signal }).catch(() => 'cancelled');
  const outcome = await Promise.race([exited, timeout]);
  timer.abort();
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * A server the benchmark started as a child process (nginx, the HTTP floor), once it answers a
 * GET / (any status) on `baseUrl`; stops it and throws when it exits first or takes 10 s.
 */
export async function childServerWhenAnswering(child: ChildProcess, baseUrl: string, name: string): Promise<ServerProcess> {
  const server: ServerProcess = { baseUrl, stop: () => stopChild(child) };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    if (await answers(baseUrl)) return server;
    await sleep(100);
  }
  await server.stop();
  throw new Error(`${name} did not answer within 10 s`);
}

function answers(baseUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(`${baseUrl}/`, { agent: false }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('error', () => resolve(false));
  });
}

/** A port nothing listens on now: the OS picks one, we release it for the server. */
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
