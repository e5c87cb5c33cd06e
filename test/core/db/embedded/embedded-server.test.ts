import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { LOCK_FILE_NAME } from '../../../../core/db/embedded/data-folder-lock.js';
import { tileAtPoint, WebMercatorQuad, CGCS2000Quad } from '../../../../core/grid/tile-matrix-set.js';
import { projectRoot } from '../../../../core/project-root.js';
import { decodeTile } from '../../../support/decode-tile.js';
import { rawGet } from '../../../support/http-server.js';
import { copyOfEmbeddedTemplate } from './embedded-template.js';

const MAIN = join(projectRoot, 'server', 'main.ts');
/** 东昌府区, inside the county outlines: every point there is covered by a sample parcel. */
const LIAOCHENG = { lon: 115.985, lat: 36.457 };

/**
 * `npm start` without DATABASE_URL, end to end: the server process starts the embedded PGlite,
 * loads a small sample into it, and serves TileJSON and tiles encoded in Node; a second server
 * on the same folder is refused; SIGTERM releases the folder.
 */
describe('the server on the embedded database (no DATABASE_URL)', function () {
  this.timeout(900_000);
  let dataDir: string;
  let server: ChildProcess | undefined;
  let baseUrl: string;
  let stderr = '';

  const environment = (dir: string): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, EMBEDDED_DATA_DIR: dir, PORT: '0', SAMPLE_PARCELS: '60', LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
    return env;
  };

  before(async () => {
    dataDir = await copyOfEmbeddedTemplate('server');
    server = spawn(process.execPath, ['--import', 'tsx', MAIN], { cwd: projectRoot, env: environment(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    baseUrl = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      server!.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split('\n').find((text) => text.includes('"planmap listening"'));
        if (line) resolve(`http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`);
      });
      server!.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${stdout}\n${stderr}`)));
    });
  });

  after(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
  });

  it('serves the TileJSON of the sample data', async () => {
    const response = await rawGet(`${baseUrl}/tiles/landuse.json`);
    expect(response.status).to.equal(200);
    const tilejson = JSON.parse(response.body.toString()) as { tiles: string[]; vector_layers: { id: string; fields: Record<string, string> }[]; bounds: number[] };
    expect(tilejson.tiles[0]).to.match(/\/tiles\/landuse\/\{z\}\/\{x\}\/\{y\}\.mvt$/);
    expect(tilejson.vector_layers[0]!.id).to.equal('landuse');
    expect(tilejson.vector_layers[0]!.fields).to.include({ DLBM: 'String', TBMJ: 'Number' });
    expect(tilejson.bounds[0]).to.be.within(115, 116);
  });

  it('serves Web Mercator tiles of the sample parcels, encoded in Node', async () => {
    const x = (LIAOCHENG.lon * Math.PI * 6378137) / 180;
    const y = Math.log(Math.tan(Math.PI / 4 + (LIAOCHENG.lat * Math.PI) / 360)) * 6378137;
    const tile = tileAtPoint(WebMercatorQuad, 12, x, y);
    const response = await rawGet(`${baseUrl}/tiles/landuse,county/${tile.z}/${tile.x}/${tile.y}.mvt`);
    expect(response.status).to.equal(200);
    const layers = decodeTile(response.body);
    const landuse = layers.get('landuse')!;
    expect(landuse.extent).to.equal(4096);
    expect(landuse.features.length).to.be.greaterThan(0);
    expect(landuse.features[0]!.properties).to.have.keys('BSM', 'DLBM', 'DLMC', 'QSXZ', 'QSDWDM', 'QSDWMC', 'ZLDWDM', 'ZLDWMC', 'TBMJ', 'XZQDM');
    expect(landuse.features.every((feature) => typeof feature.id === 'number' && feature.type === 3)).to.equal(true);
    expect(layers.get('county')!.features.map((feature) => feature.properties.XZQDM)).to.include('371502');
  });

  it('serves CGCS2000Quad tiles too', async () => {
    const tile = tileAtPoint(CGCS2000Quad, 11, LIAOCHENG.lon, LIAOCHENG.lat);
    const response = await rawGet(`${baseUrl}/tiles/landuse/CGCS2000Quad/${tile.z}/${tile.x}/${tile.y}.mvt`);
    expect(response.status).to.equal(200);
    expect(decodeTile(response.body).get('landuse')!.features.length).to.be.greaterThan(0);
  });

  it('refuses a second server on the same data folder, saying which process has it', () => {
    const second = spawnSync(process.execPath, ['--import', 'tsx', MAIN], { cwd: projectRoot, env: environment(dataDir), encoding: 'utf8', timeout: 300_000 });
    expect(second.status).to.equal(1);
    expect(second.stderr).to.include(`the embedded database folder ${dataDir} is in use by the planmap process with pid ${server!.pid}`);
  });

  it('releases the folder on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server!.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(existsSync(join(dataDir, LOCK_FILE_NAME))).to.equal(false);
  });
});
