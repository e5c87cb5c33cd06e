import type { Request, Response } from 'express';
import type { Pool } from '../../core/db/pool.js';
import type { Logger } from '../../core/logger.js';
import { isFinished, type ImportJob } from '../../pipeline/jobs/import-job.js';
import type { ImportJobRunner } from '../../pipeline/jobs/import-job-runner.js';
import { getJob } from '../../pipeline/jobs/job-store.js';
import { openEventStream, type EventStreams } from '../http/event-stream.js';
import { progressView, qaSummary } from './job-view.js';

export { EventStreams } from '../http/event-stream.js';

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
  let reading = false;
  let readAgain = false;
  let lastProgress = '';
  let failing = false;
  const stream = openEventStream(res, {
    streams,
    keepAliveMs: options.keepAliveMs,
    onClose: () => {
      clearInterval(poll);
      unsubscribe();
    },
  });
  const { send, close } = stream;
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
    if (stream.closed) return;
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    try {
      const current = await getJob(pool, job.id, runner.staleAfterMs);
      failing = false;
      if (current && !stream.closed) show(current);
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
  const unsubscribe = runner.subscribe(job.id, () => void refresh());
  show(job);
}
