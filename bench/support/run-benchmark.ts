/**
 * The entry point both benchmarks share: clean-ups undone in reverse order at the end, on
 * failure and on Ctrl-C; the first SIGINT/SIGTERM aborts the running measurement (a second one
 * ends the process at once); exit codes 0/1 from `main`, 2 for errors the user must fix in the
 * command or on the machine, 130 when interrupted.
 */
export type Cleanup = () => Promise<void> | void;

/** Ctrl-C or SIGTERM: the running measurement stops, clean-up runs, nothing is reported. */
export class InterruptedError extends Error {
  constructor(signal: string) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
  }
}

export const progress = (message: string): void => console.error(`bench: ${message}`);

export type BenchmarkMain = (signal: AbortSignal, onCleanup: (cleanup: Cleanup) => void) => Promise<number>;

export function runBenchmark(main: BenchmarkMain, isUsageError: (error: unknown) => boolean): void {
  const cleanups: Cleanup[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((error: unknown) => console.error(`bench: clean-up failed: ${(error as Error).message}`));
    }
  };
  const interruption = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping`);
      interruption.abort(new InterruptedError(signal));
    });
  }
  main(interruption.signal, (cleanup) => cleanups.push(cleanup)).then(
    async (code) => {
      await closeAll();
      process.exit(code);
    },
    async (error: unknown) => {
      await closeAll();
      if (error instanceof InterruptedError) {
        console.error(`bench: ${error.message}`);
        process.exit(130);
      }
      const isUsage = isUsageError(error);
      console.error(isUsage ? (error as Error).message : `bench failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(isUsage ? 2 : 1);
    },
  );
}
