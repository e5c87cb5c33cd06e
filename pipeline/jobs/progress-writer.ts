/**
 * Writes a job's progress at most once per interval, always the latest state, one write at a
 * time and in order (so an older state never lands after a newer one). An immediate update
 * (a phase change) is written at once and its promise resolves when it is stored.
 */
export class ProgressWriter<P> {
  private latest: P | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (progress: P) => Promise<void>,
    private readonly intervalMs: number,
    /** After each stored write. */
    private readonly onWritten: () => void,
    /** A failed write is reported here and does not stop later ones (the database may come back). */
    private readonly onError: (error: unknown) => void,
  ) {}

  update(progress: P, immediate: boolean): Promise<void> {
    this.latest = progress;
    if (immediate) return this.flush();
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.writeLatest();
    }, this.intervalMs);
    return Promise.resolve();
  }

  /** Writes the latest state now (after any write under way). */
  flush(): Promise<void> {
    this.cancelTimer();
    return this.writeLatest();
  }

  /** Stops the timer; a write under way still finishes. */
  close(): void {
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private writeLatest(): Promise<void> {
    this.chain = this.chain.then(async () => {
      const progress = this.latest;
      if (progress === null) return;
      this.latest = null;
      try {
        await this.write(progress);
        this.onWritten();
      } catch (error) {
        this.onError(error);
      }
    });
    return this.chain;
  }
}
