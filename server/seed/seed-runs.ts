import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/logger.js';
import type { TileCache } from '../cache/tile-cache.js';
import { runSeed, type SeedProgress } from './run-seed.js';
import type { PreparedSeed } from './seed-service.js';

export type SeedRunStatus = 'running' | 'done' | 'failed' | 'aborted';

/** A seed run as `GET /admin/seed/{id}` and its events show it. */
export interface SeedRunView {
  readonly id: string;
  readonly status: SeedRunStatus;
  readonly target: { readonly kind: 'tileset' | 'style'; readonly id: string };
  readonly grid: string;
  readonly zooms: readonly [number, number];
  readonly bbox: readonly number[];
  readonly county: string | null;
  readonly startedBy: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly progress: SeedProgress;
  readonly error: string | null;
}

type Listener = (view: SeedRunView) => void;

interface RunState {
  view: SeedRunView;
  readonly abort: AbortController;
  readonly listeners: Set<Listener>;
  finished: Promise<void>;
}

/** Finished runs kept for `GET /admin/seed/{id}`; older ones are forgotten. */
const KEPT_RUNS = 100;

/**
 * Seed runs of this process, running in the background. A run lives in memory: a restart
 * forgets it, and running the same request again resumes it (tiles in the shared cache tier
 * are skipped), which is what a restarted run should do anyway.
 */
export class SeedRuns {
  private readonly runs = new Map<string, RunState>();

  constructor(private readonly deps: { readonly tileCache: TileCache; readonly concurrency: number; readonly logger: Logger }) {}

  start(prepared: PreparedSeed, startedBy: string): SeedRunView {
    const { request, target, plan } = prepared;
    const id = randomUUID();
    const abort = new AbortController();
    const listeners = new Set<Listener>();
    const initial: SeedRunView = {
      id,
      status: 'running',
      target: request.target,
      grid: plan.grid.id,
      zooms: [request.minZoom, request.maxZoom],
      bbox: [...plan.bbox],
      county: plan.county?.code ?? null,
      startedBy,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      progress: { total: plan.total, done: 0, computed: 0, cached: 0, elapsedMs: 0, etaMs: null, zoom: null },
      error: null,
    };
    const state: RunState = { view: initial, abort, listeners, finished: Promise.resolve() };
    this.runs.set(id, state);
    const update = (change: Partial<SeedRunView>) => {
      state.view = { ...state.view, ...change };
      for (const listener of [...listeners]) listener(state.view);
    };
    // Progress is published at most every 100 ms (a fast cached run would flood the streams).
    let lastSent = 0;
    state.finished = runSeed(plan, target, this.deps.tileCache, {
      concurrency: this.deps.concurrency,
      signal: abort.signal,
      onProgress: (progress) => {
        state.view = { ...state.view, progress };
        const now = performance.now();
        if (now - lastSent >= 100) {
          lastSent = now;
          update({});
        }
      },
    }).then(
      (progress) => update({ status: 'done', progress, finishedAt: new Date().toISOString() }),
      (error: unknown) => {
        const aborted = abort.signal.aborted;
        if (!aborted) this.deps.logger.warn({ err: error, seedRun: id }, 'seed run failed');
        update({ status: aborted ? 'aborted' : 'failed', error: error instanceof Error ? error.message : String(error), finishedAt: new Date().toISOString() });
      },
    ).finally(() => this.forgetOldRuns());
    return initial;
  }

  get(id: string): SeedRunView | undefined {
    return this.runs.get(id)?.view;
  }

  /** Calls `listener` on every change until the run ends; returns the unsubscribe function. */
  subscribe(id: string, listener: Listener): () => void {
    const state = this.runs.get(id);
    if (!state) return () => undefined;
    state.listeners.add(listener);
    return () => state.listeners.delete(listener);
  }

  /** Asks a run to stop; false when there is no such run or it has ended. */
  abort(id: string): boolean {
    const state = this.runs.get(id);
    if (!state || state.view.status !== 'running') return false;
    state.abort.abort(new Error('aborted by request'));
    return true;
  }

  /** Waits for a run to end (tests, shutdown). */
  async finished(id: string): Promise<SeedRunView | undefined> {
    const state = this.runs.get(id);
    if (!state) return undefined;
    await state.finished;
    return state.view;
  }

  /** Aborts every running run and waits for them (shutdown). */
  async close(): Promise<void> {
    for (const state of this.runs.values()) if (state.view.status === 'running') state.abort.abort(new Error('the server is shutting down'));
    await Promise.all([...this.runs.values()].map((state) => state.finished));
  }

  private forgetOldRuns(): void {
    const ended = [...this.runs.entries()].filter(([, state]) => state.view.status !== 'running');
    for (const [id] of ended.slice(0, Math.max(0, ended.length - KEPT_RUNS))) this.runs.delete(id);
  }
}
