import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { readConfigFile, resolveConfigFile } from '../../../core/config/load-config.js';
import { projectRoot } from '../../../core/project-root.js';
import { sampleFixture } from '../../support/sample-fixture.js';

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const run = promisify(execFile);

describe('npm run cli -- seed | export-mbtiles (pipeline/cli)', () => {
  let dir: string;
  let configFile: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'planmap-seed-cli-'));
    const raw = readConfigFile(resolveConfigFile(undefined)) as Record<string, unknown>;
    raw.cache = { shared: 'disk', disk: { directory: join(dir, 'tiles') } };
    raw.seed = { maxTiles: 500, concurrency: 2 };
    configFile = join(dir, 'planmap.yaml');
    await writeFile(configFile, JSON.stringify(raw));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function cli(...args: string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'pipeline', 'cli', 'planmap-cli.ts'), ...args], {
        cwd: projectRoot,
        env: { ...process.env, CONFIG_FILE: configFile, DATABASE_URL: sampleFixture().database.url, LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('seeds a county into the disk tier with a progress bar, and a second run finds every tile cached', async () => {
    const first = await cli('seed', '--tileset', 'county', '--county', '371502', '--zooms', '8-10');
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stderr).to.match(/^tileset county: (\d+) tiles, zoom 8 to 10, WebMercatorQuad, county .+ \(371502\)/);
    expect(first.stderr).to.match(/tiles \| z10 \| \d+ computed, \d+ cached \| .* elapsed, ETA/);
    const total = Number(/: (\d+) tiles, zoom/.exec(first.stderr)![1]);
    expect(first.stdout).to.contain(`tileset county: ${total} tiles in the cache (${total} computed, 0 were cached)`);
    const second = await cli('seed', '--tileset', 'county', '--county', '371502', '--zooms', '8,10');
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.contain(`tileset county: ${total} tiles in the cache (0 computed, ${total} were cached)`);
  });

  it('refuses bad input before computing anything: the limit (with the count), a malformed bbox, an unknown county', async () => {
    const tooMany = await cli('seed', '--tileset', 'landuse', '--bbox', '115.5,36,116.5,37', '--zooms', '10-16');
    expect(tooMany.code).to.equal(2);
    expect(tooMany.stderr).to.match(/is [\d,]+ tiles, more than the limit of 500 \(seed\.maxTiles\)/);
    const bbox = await cli('seed', '--tileset', 'landuse', '--bbox', '115.5,36,116.5', '--zooms', '10-12');
    expect(bbox.code).to.equal(2);
    expect(bbox.stderr).to.match(/^bbox: must be \[west, south, east, north\]/);
    const zooms = await cli('seed', '--tileset', 'landuse', '--bbox', '115.5,36,116.5,37', '--zooms', '12-x');
    expect(zooms.code).to.equal(2);
    expect(zooms.stderr).to.match(/^zooms/);
    const county = await cli('export-mbtiles', '--tileset', 'county', '--county', '379999', '--zooms', '8-9', '--output', join(dir, 'x.mbtiles'));
    expect(county.code).to.equal(7);
    expect(county.stderr).to.match(/^county: unknown county "379999"/);
    const style = await cli('seed', '--style', 'nope', '--county', '371502', '--zooms', '8-9');
    expect(style.code).to.equal(7);
    expect(style.stderr).to.match(/unknown style "nope"/);
  });

  it('writes an MBTiles package that GDAL reads', async () => {
    const output = join(dir, 'county.mbtiles');
    const exported = await cli('export-mbtiles', '--tileset', 'county', '--county', '371502', '--zooms', '8-9', '--output', output);
    expect(exported.code, exported.stderr).to.equal(0);
    expect(exported.stdout).to.match(/county\.mbtiles: \d+ tiles \(\d+ empty left out\)/);
    const { stdout } = await run('ogrinfo', ['-ro', '-q', output]);
    expect(stdout).to.match(/1: county/);
    const db = new Database(output, { readonly: true });
    try {
      const tiles = (db.prepare('SELECT count(*) AS n FROM tiles').get() as { n: number }).n;
      expect(exported.stdout).to.contain(`: ${tiles} tiles`);
    } finally {
      db.close();
    }
  });
});
