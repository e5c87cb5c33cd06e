import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { projectRoot } from '../../../core/project-root.js';

/** A process (hold-lock-process.ts) holding a dataset's import or schedule lock until killed. */
export interface LockHolder {
  readonly pid: number;
  /** kill -9, then waits until PostgreSQL has ended its session (and so released the lock). */
  kill(): Promise<void>;
}

export async function holdLockInAnotherProcess(databaseUrl: string, kind: 'import' | 'schedule', datasetId: string): Promise<LockHolder> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test', 'pipeline', 'schedule', 'hold-lock-process.ts'), databaseUrl, kind, datasetId], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('held')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`the lock holder exited with ${code}: ${stderr}`)));
  });
  return { pid: child.pid!, kill: () => killAndAwaitSessionEnd(child, databaseUrl) };
}

/** SIGKILL, then polls pg_stat_activity until the dead process's backend is gone. */
export async function killAndAwaitSessionEnd(child: ChildProcess, databaseUrl: string): Promise<void> {
  const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  child.kill('SIGKILL');
  await exited;
  await awaitSessionsGone(databaseUrl, `%-${child.pid}`);
}

/** Waits until no session whose application_name is LIKE `pattern` remains (at most 20 s). */
export async function awaitSessionsGone(databaseUrl: string, pattern: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let i = 0; i < 400; i++) {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE $1`, [pattern]);
      if (rows[0]!.n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`sessions ${pattern} still open 20 s after their process was killed`);
  } finally {
    await client.end();
  }
}
