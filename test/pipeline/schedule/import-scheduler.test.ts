import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { install as installFakeClock } from '@sinonjs/fake-timers';
import { expect } from 'chai';
import { pino } from 'pino';
import type { AppConfig } from '../../../core/config/load-config.js';
import { ImportRunningError } from '../../../pipeline/import/import-lock.js';
import { sourceChecker } from '../../../pipeline/schedule/check-source.js';
import type { ContentVerdict, ImportHistory } from '../../../pipeline/schedule/import-history.js';
import { ImportScheduler, type ScheduledImportRequest, type TickOutcome } from '../../../pipeline/schedule/import-scheduler.js';
import type { LeadScheduledRun } from '../../../pipeline/schedule/schedule-lock.js';
import { FileHashCache, fingerprintSourceFiles } from '../../../pipeline/schedule/source-fingerprint.js';
import { resolveSourceFiles } from '../../../pipeline/import/source-files.js';
import { testConfig } from '../../support/test-database.js';

/** Log lines the scheduler wrote, parsed. */
class LogCapture extends Writable {
  readonly lines: { level: number; msg: string; dataset?: string }[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(JSON.parse(chunk.toString('utf8')) as LogCapture['lines'][number]);
    done();
  }
}

/** An import history in memory: what the fake importer "imported", by fingerprint. */
class MemoryHistory implements ImportHistory {
  readonly imported = new Map<string, string>();
  async verdictOn(datasetId: string, fingerprint: string): Promise<ContentVerdict> {
    return this.imported.get(datasetId) === fingerprint ? { state: 'imported', jobId: 1 } : { state: 'new' };
  }
}

/**
 * node-cron arms a setTimeout for the next matching second and reads `new Date()`: with the
 * clock faked (Date and timers), advancing it fires cron for real without waiting. Source files
 * are real files, fingerprinted for real; the database is replaced by an in-memory history and
 * a fake importer, through the scheduler's own seams.
 */
describe('ImportScheduler on a fake clock (pipeline/schedule)', () => {
  let clock: ReturnType<typeof installFakeClock>;
  let inbox: string;
  let config: AppConfig;
  let history: MemoryHistory;
  let logs: LogCapture;
  let imports: { datasetId: string; request: ScheduledImportRequest }[];
  let importGate: Promise<void> | null;
  let scheduler: ImportScheduler | null;
  let outcomes: { datasetId: string; outcome: TickOutcome }[];
  let outcomeWaiters: ((outcome: TickOutcome) => void)[];

  const alwaysLead: LeadScheduledRun = async () => ({ release: async () => undefined });

  beforeEach(async () => {
    inbox = await mkdtemp(join(tmpdir(), 'planmap-schedule-'));
    await deliver('first delivery');
    history = new MemoryHistory();
    logs = new LogCapture();
    imports = [];
    importGate = null;
    outcomes = [];
    outcomeWaiters = [];
    scheduler = null;
    // 2026-03-01 00:00:00 in Beijing (UTC+8).
    clock = installFakeClock({ now: new Date('2026-02-28T16:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });

  afterEach(async () => {
    clock.uninstall();
    await scheduler?.stop();
    await rm(inbox, { recursive: true, force: true });
  });

  function configWith(schedules: Record<string, { cron: string; timezone?: string }>): AppConfig {
    return testConfig('postgres://unused@127.0.0.1/unused', (raw) => {
      raw.pipeline = { importRoots: [inbox] };
      for (const dataset of raw.datasets as Record<string, unknown>[]) {
        delete dataset.schedule;
        const schedule = schedules[dataset.id as string];
        if (schedule) {
          dataset.source = { path: 'dltb' };
          dataset.schedule = schedule;
        }
      }
    });
  }

  async function deliver(content: string): Promise<void> {
    await mkdir(join(inbox, 'dltb'), { recursive: true });
    await writeFile(join(inbox, 'dltb', 'DLTB.geojson'), content);
  }

  function start(schedules: Record<string, { cron: string; timezone?: string }>, lead: LeadScheduledRun = alwaysLead): ImportScheduler {
    config = configWith(schedules);
    const cache = new FileHashCache();
    scheduler = new ImportScheduler({
      datasets: config.datasets,
      checkSource: sourceChecker(config, history, cache),
      lead,
      logger: pino({ level: 'debug' }, logs),
      runImport: async (datasetId, request) => {
        imports.push({ datasetId, request });
        if (importGate) await importGate;
        const dataset = config.datasets.find((candidate) => candidate.id === datasetId)!;
        const { fingerprint } = await fingerprintSourceFiles(config, await resolveSourceFiles(config, dataset));
        history.imported.set(datasetId, fingerprint);
      },
      onTick: (datasetId, outcome) => {
        outcomes.push({ datasetId, outcome });
        outcomeWaiters.shift()?.(outcome);
      },
    });
    scheduler.start();
    return scheduler;
  }

  /** Advances the fake clock and waits for the tick it fires to end (file hashing is real I/O). */
  async function advanceToTick(milliseconds: number): Promise<TickOutcome> {
    const next = new Promise<TickOutcome>((resolve) => outcomeWaiters.push(resolve));
    await clock.tickAsync(milliseconds);
    return next;
  }

  const FIFTEEN_MINUTES = 15 * 60 * 1000;

  it('fires on the cron and imports the first delivery, with trigger "schedule" and started by "cron"', async () => {
    start({ landuse: { cron: '*/15 * * * *' } });
    await clock.tickAsync(FIFTEEN_MINUTES - 1000);
    expect(imports).to.have.length(0);
    expect(await advanceToTick(1000)).to.equal('import-ran');
    expect(imports).to.have.length(1);
    expect(imports[0]!.datasetId).to.equal('landuse');
    expect(imports[0]!.request).to.include({ trigger: 'schedule', startedBy: 'cron' });
  });

  it('skips the import while the delivery is unchanged, and imports once it changes', async () => {
    start({ landuse: { cron: '*/15 * * * *' } });
    expect(await advanceToTick(FIFTEEN_MINUTES)).to.equal('import-ran');
    expect(await advanceToTick(FIFTEEN_MINUTES)).to.equal('unchanged');
    expect(await advanceToTick(FIFTEEN_MINUTES)).to.equal('unchanged');
    expect(imports).to.have.length(1);
    await deliver('second delivery');
    expect(await advanceToTick(FIFTEEN_MINUTES)).to.equal('import-ran');
    expect(imports).to.have.length(2);
  });

  it('skips and logs a tick that comes while the previous import of the dataset is still running', async () => {
    let openGate!: () => void;
    importGate = new Promise((resolve) => (openGate = resolve));
    start({ landuse: { cron: '*/15 * * * *' } });
    await clock.tickAsync(FIFTEEN_MINUTES);
    await waitUntil(() => imports.length === 1);
    expect(await advanceToTick(FIFTEEN_MINUTES)).to.equal('overlapping');
    expect(imports).to.have.length(1);
    expect(logs.lines.some((line) => line.msg.includes('previous one is still running') && line.dataset === 'landuse' && line.level === 40)).to.equal(true);
    const first = new Promise<TickOutcome>((resolve) => outcomeWaiters.push(resolve));
    openGate();
    expect(await first).to.equal('import-ran');
    importGate = null;
    expect(await advanceToTick(FIFTEEN_MINUTES)).to.equal('unchanged');
  });

  it('reads the cron in the dataset time zone (Asia/Shanghai by default)', async () => {
    start({ landuse: { cron: '0 2 * * *' }, county: { cron: '0 2 * * *', timezone: 'UTC' } });
    const next = Object.fromEntries(scheduler!.nextRuns().map((run) => [run.dataset, run.next?.toISOString()]));
    expect(next).to.deep.equal({ landuse: '2026-02-28T18:00:00.000Z', county: '2026-03-01T02:00:00.000Z' });
    // 02:00 in Beijing is 18:00 UTC: only landuse fires.
    expect(await advanceToTick(2 * 3600 * 1000)).to.equal('import-ran');
    expect(outcomes.map((outcome) => outcome.datasetId)).to.deep.equal(['landuse']);
  });

  it('leaves the tick to another replica when it does not get the lead, without reading the source', async () => {
    let asked = 0;
    start({ landuse: { cron: '*/15 * * * *' } }, async () => {
      asked += 1;
      return null;
    });
    await rm(join(inbox, 'dltb'), { recursive: true });
    expect(await advanceToTick(FIFTEEN_MINUTES)).to.equal('led-elsewhere');
    expect(asked).to.equal(1);
    expect(imports).to.have.length(0);
  });

  it('reports "running-elsewhere" when the import lock is held by another process, and tries again on the next tick', async () => {
    let refuse = true;
    config = configWith({ landuse: { cron: '*/15 * * * *' } });
    scheduler = new ImportScheduler({
      datasets: config.datasets,
      checkSource: sourceChecker(config, history),
      lead: alwaysLead,
      logger: pino({ level: 'debug' }, logs),
      runImport: async (datasetId) => {
        if (refuse) throw new ImportRunningError(datasetId);
        imports.push({ datasetId, request: { trigger: 'schedule', startedBy: 'cron', signal: new AbortController().signal } });
      },
      onTick: (_datasetId, outcome) => outcomeWaiters.shift()?.(outcome),
    });
    scheduler.start();
    expect(await advanceToTick(FIFTEEN_MINUTES)).to.equal('running-elsewhere');
    refuse = false;
    expect(await advanceToTick(FIFTEEN_MINUTES)).to.equal('import-ran');
  });

  it('reports an empty inbox as "unavailable" without importing', async () => {
    start({ landuse: { cron: '*/15 * * * *' } });
    await rm(join(inbox, 'dltb'), { recursive: true });
    expect(await advanceToTick(FIFTEEN_MINUTES)).to.equal('unavailable');
    expect(imports).to.have.length(0);
    expect(logs.lines.some((line) => line.level === 40 && line.msg.includes('no delivery to read'))).to.equal(true);
  });

  it('aborts a running scheduled import when stopped, and fires no more', async () => {
    let openGate!: () => void;
    importGate = new Promise((resolve) => (openGate = resolve));
    start({ landuse: { cron: '*/15 * * * *' } });
    await clock.tickAsync(FIFTEEN_MINUTES);
    await waitUntil(() => imports.length === 1);
    const signal = imports[0]!.request.signal;
    expect(signal.aborted).to.equal(false);
    const stopped = scheduler!.stop();
    expect(signal.aborted).to.equal(true);
    openGate();
    await stopped;
    await clock.tickAsync(4 * FIFTEEN_MINUTES);
    expect(imports).to.have.length(1);
  });

  /** Waits (on real I/O, not the fake clock) until the condition holds. */
  async function waitUntil(condition: () => boolean): Promise<void> {
    const deadline = performance.now() + 10_000;
    while (!condition() && performance.now() < deadline) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(condition(), 'condition never held').to.equal(true);
  }
});
