import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { Logger } from '../../core/logger.js';

/**
 * Several server processes on one port (`server.workers`), as nginx runs worker processes: one
 * Node process answers on one CPU, and a cached tile costs mostly system calls, so a second
 * CPU is a second process. Each worker is a full replica (its own pool, catalog with LISTEN,
 * memory tier; the shared tier, the database and its locks are common), exactly like the
 * replicas of docs/ARCHITECTURE.md; the primary only forks, restarts and stops them.
 */
export interface ClusterOptions {
  readonly workers: number;
  readonly logger: Logger;
  /** Workers get this long to drain on SIGTERM before they are killed. */
  readonly shutdownTimeoutMs: number;
  /** Environment of the first worker only (work that must run once, such as a fresh sample's analysis). */
  readonly firstWorkerEnv?: Readonly<Record<string, string>>;
  readonly exit: (code: number) => void;
}

/** A worker that dies sooner than this after its start is not restarted (a crash loop): the primary gives up. */
const MIN_UPTIME_MS = 10_000;
/** After the drain deadline, this much longer before the workers are killed outright. */
const KILL_GRACE_MS = 3_000;

export function runClusterPrimary({ workers, logger, shutdownTimeoutMs, firstWorkerEnv = {}, exit }: ClusterOptions): void {
  const startedAt = new Map<Worker, number>();
  let stopping = false;

  const fork = (env: Readonly<Record<string, string>>) => {
    const worker = cluster.fork(env);
    startedAt.set(worker, Date.now());
  };

  cluster.on('exit', (worker, code, signal) => {
    const uptime = Date.now() - (startedAt.get(worker) ?? Date.now());
    startedAt.delete(worker);
    if (stopping) return;
    if (uptime < MIN_UPTIME_MS) {
      logger.error({ pid: worker.process.pid, code, signal, uptimeMs: uptime }, 'a server worker failed during start-up; stopping (its log is above)');
      void stopAll('worker start-up failed').finally(() => exit(1));
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'a server worker died; starting another');
    fork({});
  });

  /** Stops every worker (SIGTERM: each drains as a single server does); true when all of them stopped cleanly (exit 0). */
  const stopAll = async (reason: string): Promise<boolean> => {
    stopping = true;
    const running = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && !worker.isDead());
    logger.info({ reason, workers: running.length }, 'stopping the server workers');
    const exits = running.map((worker) => once(worker, 'exit').then(([code]) => code === 0));
    for (const worker of running) worker.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const worker of running) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, shutdownTimeoutMs + KILL_GRACE_MS);
    const clean = (await Promise.all(exits)).every(Boolean);
    clearTimeout(killer);
    logger.info({ clean }, 'server workers stopped');
    return clean;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopAll(signal).then((clean) => exit(clean ? 0 : 1), () => exit(1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  logger.info({ workers }, 'starting server workers');
  fork(firstWorkerEnv);
  for (let i = 1; i < workers; i++) fork({});
}
