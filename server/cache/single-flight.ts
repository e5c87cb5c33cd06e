interface Flight<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  /** Callers still waiting; callers without a signal never leave. */
  waiters: number;
}

/**
 * Runs one piece of work per key at a time: callers that arrive while it runs share its
 * result. The entry is removed when the work settles, so a failure is never kept: the next
 * caller starts afresh (unlike a promise cache that keeps rejected promises). Each caller may
 * stop waiting through its own signal; the work itself is aborted only once every caller has
 * stopped waiting, so one impatient client never fails the others.
 */
export class SingleFlight<T> {
  private readonly flights = new Map<string, Flight<T>>();

  run(id: string, work: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    let flight = this.flights.get(id);
    if (!flight || flight.controller.signal.aborted) flight = this.start(id, work);
    else flight.waiters += 1;
    return signal ? this.wait(flight, signal) : flight.promise;
  }

  /** Keys being worked on now (for tests and metrics). */
  get size(): number {
    return this.flights.size;
  }

  private start(id: string, work: (signal: AbortSignal) => Promise<T>): Flight<T> {
    const controller = new AbortController();
    const settled = Promise.resolve()
      .then(() => work(controller.signal))
      .finally(() => {
        if (this.flights.get(id) === flight) this.flights.delete(id);
      });
    const flight: Flight<T> = { promise: settled, controller, waiters: 1 };
    this.flights.set(id, flight);
    // A flight everybody left may still reject; nobody listens then.
    settled.catch(() => undefined);
    return flight;
  }

  private wait(flight: Flight<T>, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        flight.waiters -= 1;
        if (flight.waiters === 0) flight.controller.abort(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', leave, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', leave);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(error);
        },
      );
    });
  }
}
