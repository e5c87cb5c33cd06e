import type { Request, Response } from 'express';
import type { Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import { isFinished, type ImportJob } from '../../pipeline/jobs/import-job.js';
import type { ImportJobRunner } from '../../pipeline/jobs/import-job-runner.js';
import { getJob } from '../../pipeline/jobs/job-store.js';
import { progressView, qaSummary } from './job-view.js';

/**
 * The open event streams, so that shutdown can end them (an open stream would keep
 * `server.close()` waiting forever) and tests can see that none is left behind.
 */
export class EventStreams {
  private readonly open = new Set<() => void>();

  get size(): number {
    return this.open.size;
  }

  add(close: () => void): void {
    this.open.add(close);
  }

  delete(close: () => void): void {
    this.open.delete(close);
  }

  closeAll(): void {
    for (const close of [...this.open]) close();
  }
}

export interface JobEventsOptions {
  readonly pool: Pool;
  readonly runner: ImportJobRunner;
  readonly logger: Logger;
  readonly streams: EventStreams;
  /** How often the job row is read (jobs of other processes change only there). */
  readonly pollMs: number;
  /** How often a comment is sent so that proxies keep an idle stream open. */
  readonly keepAliveMs: number;
}

/**
 * Streams a job as server-sent events: `progress` (status, phase, files, bytes, features) at
 * once and on every change, then `qa` (the QA summary, when there is a report) and `end`
 * (final status, version, error), and closes. Changes come from this process's runner at once,
 * and from the job row every `pollMs`, so a job run by another replica or the CLI streams too.
 * A client that goes away stops the timers and the subscription; no connection is held
 * between reads.
 */
export function streamJobEvents(req: Request, res: Response, job: ImportJob, options: JobEventsOptions): void {
  const { pool, runner, logger, streams } = options;
  let closed = false;
  let reading = false;
  let readAgain = false;
  let lastProgress = '';
  let failing = false;

  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    // nginx buffers responses unless told not to; events would arrive all at once at the end.
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 3000\n\n');

  const send = (event: string, data: unknown) => {
    if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const show = (current: ImportJob) => {
    const progress = JSON.stringify(progressView(current));
    if (progress !== lastProgress) {
      lastProgress = progress;
      send('progress', progressView(current));
    }
    if (!isFinished(current.status)) return;
    if (current.qaReport) send('qa', qaSummary(current.qaReport));
    send('end', { id: current.id, status: current.status, version: current.version, error: current.error });
    close();
  };
  const refresh = async () => {
    if (closed) return;
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    try {
      const current = await getJob(pool, job.id, runner.staleAfterMs);
      failing = false;
      if (current && !closed) show(current);
    } catch (error) {
      // Once per outage, not once per poll; the stream stays open and picks up when it ends.
      if (!failing) logger.warn({ err: error, jobId: job.id }, 'cannot read the job for its event stream');
      failing = true;
    } finally {
      reading = false;
    }
    if (readAgain) {
      readAgain = false;
      await refresh();
    }
  };

  const poll = setInterval(() => void refresh(), options.pollMs);
  const keepAlive = setInterval(() => {
    if (!closed) res.write(': keep-alive\n\n');
  }, options.keepAliveMs);
  const unsubscribe = runner.subscribe(job.id, () => void refresh());
  function close(): void {
    if (closed) return;
    closed = true;
    clearInterval(poll);
    clearInterval(keepAlive);
    unsubscribe();
    streams.delete(close);
    if (!res.writableEnded) res.end();
  }
  streams.add(close);
  res.on('close', close);
  show(job);
}
