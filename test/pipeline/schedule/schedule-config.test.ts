import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseConfig, readConfigFile, resolveConfigFile } from '../../../core/config/load-config.js';
import { ConfigError } from '../../../core/errors.js';
import { projectRoot } from '../../../core/project-root.js';

/** The project's default configuration with `landuse` (datasets[0]) given `schedule`. */
function withLanduseSchedule(schedule: unknown, { source = true } = {}): Record<string, unknown> {
  const raw = readConfigFile(resolveConfigFile(undefined)) as Record<string, unknown>;
  const landuse = (raw.datasets as Record<string, unknown>[])[0]!;
  expect(landuse.id).to.equal('landuse');
  landuse.schedule = schedule;
  if (!source) delete landuse.source;
  return raw;
}

function configError(raw: unknown): ConfigError {
  try {
    parseConfig(raw, 'planmap.yaml');
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('datasets[].schedule (core/config/schedule-schema)', () => {
  it('accepts a five-field cron and defaults the time zone to Asia/Shanghai', () => {
    const config = parseConfig(withLanduseSchedule({ cron: '*/15 * * * *' }), 'planmap.yaml');
    expect(config.datasets[0]!.schedule).to.deep.equal({ cron: '*/15 * * * *', timezone: 'Asia/Shanghai' });
  });

  it('accepts six fields (seconds first), nicknames and another time zone', () => {
    expect(parseConfig(withLanduseSchedule({ cron: '30 0 2 * * 1-5', timezone: 'UTC' }), 'planmap.yaml').datasets[0]!.schedule).to.deep.equal({ cron: '30 0 2 * * 1-5', timezone: 'UTC' });
    expect(parseConfig(withLanduseSchedule({ cron: '@daily' }), 'planmap.yaml').datasets[0]!.schedule!.cron).to.equal('@daily');
  });

  it('leaves datasets without a schedule unscheduled (existing configurations stay valid)', () => {
    const raw = readConfigFile(resolveConfigFile(undefined)) as { datasets: { id: string; schedule?: unknown }[] };
    const withoutSchedule = raw.datasets.filter((dataset) => dataset.schedule === undefined).map((dataset) => dataset.id);
    expect(withoutSchedule).to.include('landuse');
    const parsed = parseConfig(raw, 'planmap.yaml').datasets;
    expect(parsed.filter((dataset) => withoutSchedule.includes(dataset.id)).every((dataset) => dataset.schedule === undefined)).to.equal(true);
    // The default configuration checks one county's inbox nightly.
    expect(parsed.find((dataset) => dataset.id === 'stbhhx_371502')?.schedule).to.deep.include({ cron: '30 2 * * *' });
  });

  const invalid: [string, string, RegExp][] = [
    ['a minute out of range', '61 * * * *', /61 is a invalid expression for minute/],
    ['too few fields', 'every day', /expected 5 or 6 fields but got 2/],
    ['seven fields', '0 0 0 * * * *', /expected 5 or 6 fields but got 7/],
    ['a step of zero', '*/0 * * * *', /\*\/0 is a invalid expression for minute/],
    ['an impossible date', '0 2 31 2 *', /impossible day of month/],
    ['illegal characters', '0 2 * * 一', /illegal characters/],
  ];
  for (const [what, cron, reason] of invalid) {
    it(`refuses ${what} (${cron}), naming the file, the key path, the dataset and the reason`, () => {
      const error = configError(withLanduseSchedule({ cron }));
      expect(error.message).to.include('planmap.yaml');
      expect(error.message).to.include(`datasets[0].schedule.cron: dataset "landuse": "${cron}" is not a valid cron expression`);
      expect(error.message).to.match(reason);
    });
  }

  it('refuses an empty cron and a schedule without cron', () => {
    expect(configError(withLanduseSchedule({ cron: '' })).message).to.include('datasets[0].schedule.cron');
    expect(configError(withLanduseSchedule({ timezone: 'UTC' })).message).to.include('datasets[0].schedule.cron');
  });

  it('refuses an unknown time zone', () => {
    expect(configError(withLanduseSchedule({ cron: '0 2 * * *', timezone: 'Asia/Beijing' })).message).to.match(/datasets\[0\]\.schedule\.timezone: must be an IANA time zone name/);
  });

  it('refuses an unknown key in schedule', () => {
    expect(configError(withLanduseSchedule({ cron: '0 2 * * *', overlap: true })).message).to.include('datasets[0].schedule.overlap: unknown key');
  });

  it('refuses a schedule on a dataset without a source', () => {
    expect(configError(withLanduseSchedule({ cron: '0 2 * * *' }, { source: false })).message).to.include('datasets[0].schedule: dataset "landuse" has a schedule but no source to check');
  });

  describe('at server start-up', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'planmap-schedule-config-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses to start with an invalid cron, exit code 1, naming the dataset and key path', async () => {
      const configFile = join(dir, 'planmap.yaml');
      await writeFile(configFile, JSON.stringify(withLanduseSchedule({ cron: '0 25 * * *' })));
      const run = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'server', 'main.ts')], {
          cwd: projectRoot,
          // An unreachable database: start-up must stop at the configuration, before connecting.
          env: { ...process.env, CONFIG_FILE: configFile, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(run.code).to.equal(1);
      expect(run.stderr).to.include(`${configFile}: invalid configuration`);
      expect(run.stderr).to.include('datasets[0].schedule.cron: dataset "landuse": "0 25 * * *" is not a valid cron expression (25 is a invalid expression for hour)');
    });
  });
});
