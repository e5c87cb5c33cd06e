import type { Logger } from '../../core/logger.js';

/**
 * Stops one thing the process started. `deadline` aborts when the shutdown's time is up: a
 * step still waiting then stops at once (cuts connections, cancels queries) and returns.
 */
export type StopStep = (deadline: AbortSignal) => Promise<unknown> | unknown;

export interface ShutdownResult {
  /** Every step finished without error, before the deadline. */
  readonly clean: boolean;
  readonly durationMs: number;
}

/**
 * The orderly end of the process: the things it started, stopped in the reverse order of
 * their start (the HTTP server first, then what requests used, the database pool last).
 * Add a step right after starting what it stops:
 *
 * ```ts
 * const pool = createPool(...);            shutdown.add('database pool', () => pool.end());
 * const scheduler = ...; scheduler.start(); shutdown.add('import scheduler', () => scheduler.stop());
 * const server = createServer(app)...;      shutdown.add('http server', (deadline) => drainHttpServer(server, deadline, logger));
 * ```
 *
 * Steps run one after another, each awaited; a step that fails is logged and the others still
 * run. All of them share one deadline (`server.shutdownTimeoutMs`).
 */
export class ShutdownList {
  private readonly steps: { readonly name: string; readonly stop: StopStep }[] = [];
  private running: Promise<ShutdownResult> | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs: number,
  ) {}

  add(name: string, stop: StopStep): void {
    if (this.running) throw new Error(`shutdown already started: cannot add "${name}"`);
    this.steps.push({ name, stop });
  }

  /** Runs the steps once; later calls get the same result. */
  run(reason: string): Promise<ShutdownResult> {
    this.running ??= this.runSteps(reason);
    return this.running;
  }

  private async runSteps(reason: string): Promise<ShutdownResult> {
    const startedAt = performance.now();
    const deadline = AbortSignal.timeout(this.deadlineMs);
    let clean = true;
    deadline.addEventListener('abort', () => {
      clean = false;
      this.logger.warn({ deadlineMs: this.deadlineMs }, 'shutdown deadline reached: cutting what is still running');
    }, { once: true });
    this.logger.info({ reason, steps: this.steps.map((step) => step.name).reverse(), deadlineMs: this.deadlineMs }, 'shutting down');
    for (const { name, stop } of [...this.steps].reverse()) {
      const stepStartedAt = performance.now();
      try {
        await stop(deadline);
        this.logger.info({ step: name, durationMs: Math.round(performance.now() - stepStartedAt) }, 'stopped');
      } catch (error) {
        clean = false;
        this.logger.error({ err: error, step: name }, 'shutdown step failed');
      }
    }
    const durationMs = Math.round(performance.now() - startedAt);
    this.logger.info({ clean, durationMs }, 'shutdown complete');
    return { clean, durationMs };
  }
}

/**
 * SIGTERM and SIGINT run the shutdown, then exit: 0 when it was clean, 1 otherwise. A second
 * signal, or steps still hanging a few seconds past the deadline, exit 1 at once.
 */
export function exitOnSignals(shutdown: ShutdownList, logger: Logger, deadlineMs: number, exit: (code: number) => void): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      exit(1);
      return;
    }
    signalled = true;
    const hardStop = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown steps still running after the deadline: exiting');
      exit(1);
    }, deadlineMs + HARD_STOP_GRACE_MS);
    hardStop.unref();
    shutdown.run(signal).then(({ clean }) => exit(clean ? 0 : 1), () => exit(1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Time after the deadline for steps to notice it (cut connections, cancel queries) before the process gives up on them. */
const HARD_STOP_GRACE_MS = 3000;
