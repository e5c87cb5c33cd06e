import './skia-memory.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DrawableStyle, DrawnImage, DrawRequest, TileDrawing } from './tile-drawer.js';

/**
 * The worker's module: render-worker.js when compiled. Run from TypeScript (tests, tsx), this file
 * is render-pool.ts, and Node 20 does not pass tsx's loader on to worker threads; the worker
 * then starts from a small module that registers tsx first (tsx is a dev dependency: only
 * there).
 */
function workerModule(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./render-worker.js', import.meta.url);
  // tsx's ESM API ("tsx/esm/api", import condition): register() hooks tsx into the calling thread.
  // Found through package.json: under mocha this module may run as CommonJS, without import.meta.resolve.
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `const { register } = await import(${JSON.stringify(tsxApi)});
register();
await import(${JSON.stringify(new URL('./render-worker.ts', import.meta.url).href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

/** What a worker is started with (workerData). */
export interface RenderWorkerData {
  readonly styles: readonly DrawableStyle[];
}

/** A request posted to a worker, with the id its answer carries. */
export interface DrawTask {
  readonly id: number;
  readonly request: DrawRequest;
}

/** A worker's answer: the image (a Uint8Array once it has crossed) and its timings, or why it failed. */
export type DrawAnswer =
  | { readonly id: number; readonly image: Uint8Array; readonly decodeMs: number; readonly drawMs: number; readonly encodeMs: number }
  | { readonly id: number; readonly error: string };

export interface RenderPoolOptions {
  /** The styles the workers can draw (compiled once in each worker). */
  readonly styles: readonly DrawableStyle[];
  /** Worker threads to start, at least 1. */
  readonly workerCount: number;
}

/**
 * Workers that may fail in a row, with no image drawn between, before the pool stops replacing
 * them (a worker that cannot even start would otherwise be restarted in a busy loop).
 */
const MAX_FAILURES_IN_A_ROW = 3;

interface Pending {
  readonly resolve: (drawn: DrawnImage) => void;
  readonly reject: (error: Error) => void;
}

interface PoolWorker {
  readonly thread: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * Draws images in worker threads (render-worker.ts), so that decoding, drawing and encoding,
 * most of a raster tile's CPU, run beside the event loop rather than on it: the main thread keeps
 * answering requests and reading vector tiles while tiles are drawn, and with two CPUs the
 * server can use both (bench/README.md, "npm run bench:raster").
 *
 * Each request goes to the worker with the fewest in flight. A worker that dies (a native crash,
 * an out-of-memory) rejects what it had in flight and is replaced, up to MAX_FAILURES_IN_A_ROW
 * without an image between; then every draw rejects with the last cause. A failed draw rejects
 * that request only. Workers keep the process alive only while they have work, so a process that is
 * done exits without close(); close() ends them at shutdown.
 */
export class RenderPool implements TileDrawing {
  private readonly styles: readonly DrawableStyle[];
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private isClosed = false;
  private failuresInARow = 0;
  /** Set once workers have failed MAX_FAILURES_IN_A_ROW times in a row. */
  private brokenBy: Error | null = null;

  constructor({ styles, workerCount }: RenderPoolOptions) {
    if (!Number.isInteger(workerCount) || workerCount < 1) throw new RangeError(`RenderPool: workerCount must be a whole number of at least 1, got ${workerCount}`);
    this.styles = styles;
    for (let i = 0; i < workerCount; i++) this.workers.push(this.startWorker());
  }

  draw(request: DrawRequest): Promise<DrawnImage> {
    if (this.isClosed) return Promise.reject(new Error('the render pool is closed'));
    if (this.brokenBy) return Promise.reject(new Error(`render workers failed ${MAX_FAILURES_IN_A_ROW} times in a row: ${this.brokenBy.message}`, { cause: this.brokenBy }));
    let worker = this.workers[0]!;
    for (const candidate of this.workers) if (candidate.pending.size < worker.pending.size) worker = candidate;
    const id = this.nextId++;
    // Posting a view clones its whole ArrayBuffer: a small tile sits in Node's shared 8 KB Buffer
    // pool. Each tile is copied to a buffer of its own (the caller's, perhaps a cached tile, is
    // never detached), which is then handed over rather than cloned again.
    const sources = request.sources.map((source) => ({ ...source, data: new Uint8Array(source.data) }));
    const transfer = sources.map((source) => source.data.buffer);
    return new Promise<DrawnImage>((resolve, reject) => {
      if (worker.pending.size === 0) worker.thread.ref();
      worker.pending.set(id, { resolve, reject });
      worker.thread.postMessage({ id, request: { ...request, sources } } satisfies DrawTask, transfer);
    });
  }

  /** Ends the workers; draws in flight reject. */
  async close(): Promise<void> {
    this.isClosed = true;
    await Promise.all(this.workers.map((worker) => worker.thread.terminate()));
  }

  private startWorker(): PoolWorker {
    const thread = new Worker(workerModule(), { workerData: { styles: this.styles } satisfies RenderWorkerData });
    thread.unref();
    const worker: PoolWorker = { thread, pending: new Map() };
    thread.on('message', (answer: DrawAnswer) => this.settle(worker, answer));
    thread.on('error', (error) => this.retire(worker, error));
    thread.on('exit', (code) => this.retire(worker, new Error(`exited with code ${code}`)));
    return worker;
  }

  private settle(worker: PoolWorker, answer: DrawAnswer): void {
    const pending = worker.pending.get(answer.id);
    if (!pending) return;
    worker.pending.delete(answer.id);
    if (worker.pending.size === 0) worker.thread.unref();
    this.failuresInARow = 0;
    if ('error' in answer) {
      pending.reject(new Error(`drawing the image failed: ${answer.error}`));
      return;
    }
    const { image, decodeMs, drawMs, encodeMs } = answer;
    pending.resolve({ image: Buffer.from(image.buffer, image.byteOffset, image.byteLength), decodeMs, drawMs, encodeMs });
  }

  /**
   * A worker that failed or exited: its draws reject, and another takes its place unless the pool
   * is closing or broken.
   */
  private retire(worker: PoolWorker, cause: Error): void {
    const index = this.workers.indexOf(worker);
    if (index === -1) return;
    for (const { reject } of worker.pending.values()) reject(new Error(`render worker failed: ${cause.message}`, { cause }));
    worker.pending.clear();
    if (this.isClosed) {
      this.workers.splice(index, 1);
      return;
    }
    void worker.thread.terminate();
    this.failuresInARow += 1;
    if (this.failuresInARow >= MAX_FAILURES_IN_A_ROW) {
      this.brokenBy ??= cause;
      this.workers.splice(index, 1);
      return;
    }
    this.workers[index] = this.startWorker();
  }
}
