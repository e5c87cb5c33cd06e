import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The load generators of `--load c`: wrk (HTTP) and pgbench (SQL), programs in C that cost a
 * fraction of the CPU per request of the Node clients, and the tools the reference figures of
 * the benchmark's issue were measured with.
 */
export interface LoadTools {
  readonly wrk: ToolBinary;
  readonly pgbench: ToolBinary;
}

export interface ToolBinary {
  readonly path: string;
  /** First line of its version output, for the report header. */
  readonly version: string;
}

/** A load tool is not installed: the benchmark exits 2 with what to install. */
export class MissingToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingToolError';
  }
}

/** Where Debian installs the server packages, one directory per major version. */
const DEBIAN_POSTGRESQL_DIR = '/usr/lib/postgresql';

const execFileAsync = promisify(execFile);

export async function findLoadTools(env: NodeJS.ProcessEnv): Promise<LoadTools> {
  const wrkPath = await findOnPath('wrk', env);
  if (!wrkPath) {
    throw new MissingToolError('--load c needs wrk, which is not installed: run `apt-get install -y wrk` (as root), ' +
      'or measure with the Node clients: npm run bench:tiles -- --load node');
  }
  const pgbenchPath = await findPgbench(env);
  if (!pgbenchPath) {
    throw new MissingToolError('--load c needs pgbench, which ships with the PostgreSQL server package ' +
      '(Debian: postgresql-<version>) and was found neither by `pg_config --bindir`, nor under ' +
      `${DEBIAN_POSTGRESQL_DIR}/<version>/bin, nor on PATH; or measure with --load node`);
  }
  return {
    wrk: { path: wrkPath, version: await versionOf(wrkPath, '--version') },
    pgbench: { path: pgbenchPath, version: await versionOf(pgbenchPath, '--version') },
  };
}

/**
 * pgbench is not on PATH on Debian unless postgresql-client-common's wrapper is: ask pg_config
 * first (the installed client's version), then take the newest server version installed.
 */
async function findPgbench(env: NodeJS.ProcessEnv): Promise<string | null> {
  const bindir = await execFileAsync('pg_config', ['--bindir']).then(({ stdout }) => stdout.trim(), () => null);
  if (bindir && (await isExecutable(join(bindir, 'pgbench')))) return join(bindir, 'pgbench');
  const versions = await readdir(DEBIAN_POSTGRESQL_DIR).catch(() => [] as string[]);
  for (const version of versions.filter((name) => /^\d+(\.\d+)?$/.test(name)).sort((a, b) => Number(b) - Number(a))) {
    const candidate = join(DEBIAN_POSTGRESQL_DIR, version, 'bin', 'pgbench');
    if (await isExecutable(candidate)) return candidate;
  }
  return findOnPath('pgbench', env);
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  for (const directory of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (await isExecutable(join(directory, name))) return join(directory, name);
  }
  return null;
}

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(() => true, () => false);
}

/** wrk prints its version on stdout and exits 1 (it also prints its usage), so no exit check. */
async function versionOf(path: string, flag: string): Promise<string> {
  const { stdout, stderr } = await runTool(path, [flag], {});
  return (stdout || stderr).split('\n')[0]!.trim();
}

export interface ToolOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a tool to its end and returns what it printed and its exit code (a non-zero code is the
 * caller's to judge: pgbench exits 2 when a client failed, yet still prints its counts).
 * Aborting the signal stops the tool (SIGTERM) and rejects.
 */
export function runTool(path: string, args: readonly string[], { env, signal }: { env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<ToolOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // An abort kills the child and emits 'error' (an AbortError): reject with the abort's reason.
    child.once('error', (error) => reject(signal?.aborted ? signal.reason : error));
    child.once('close', (code, killedBy) => {
      if (signal?.aborted) return reject(signal.reason);
      if (code === null) return reject(new Error(`${path} was killed by ${killedBy}`));
      resolve({ exitCode: code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}
