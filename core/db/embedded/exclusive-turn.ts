/**
 * A first-come, first-served turn on the one PGlite session, held across several awaits (a
 * whole transaction of one bridge connection), which PGlite's own per-call mutex cannot do.
 */
export class ExclusiveTurn {
  private isHeld = false;
  private readonly waiting: Array<() => void> = [];

  async acquire(): Promise<void> {
    if (!this.isHeld) {
      this.isHeld = true;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Hands the turn to the next waiter, or frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.isHeld = false;
  }
}
