import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AppConfig } from '../../../core/config/load-config.js';
import { ImportError } from '../../../core/errors.js';
import { resolveSourceFiles } from '../../../pipeline/import/source-files.js';
import { FileHashCache, fingerprintSourceFiles } from '../../../pipeline/schedule/source-fingerprint.js';
import { testConfig } from '../../support/test-database.js';

// Deliveries here are plain files with known bytes: the fingerprint is about bytes and names,
// not about what the importer makes of them.
describe('fingerprintSourceFiles (pipeline/schedule)', () => {
  let inbox: string;
  let config: AppConfig;

  beforeEach(async () => {
    inbox = await mkdtemp(join(tmpdir(), 'planmap-fingerprint-'));
    config = testConfig('postgres://unused@127.0.0.1/unused', (raw) => {
      raw.pipeline = { importRoots: [inbox] };
      (raw.datasets as Record<string, unknown>[]).find((dataset) => dataset.id === 'landuse')!.source = { path: 'dltb' };
    });
  });

  afterEach(async () => {
    await rm(inbox, { recursive: true, force: true });
  });

  const landuse = () => config.datasets.find((dataset) => dataset.id === 'landuse')!;

  async function writeShapefile(stem: string, contents: { shp: string; dbf: string; shx?: string }): Promise<void> {
    await mkdir(join(inbox, 'dltb'), { recursive: true });
    await writeFile(join(inbox, 'dltb', `${stem}.shp`), contents.shp);
    await writeFile(join(inbox, 'dltb', `${stem}.DBF`), contents.dbf);
    await writeFile(join(inbox, 'dltb', `${stem}.shx`), contents.shx ?? 'index');
  }

  async function fingerprint(cache?: FileHashCache) {
    return fingerprintSourceFiles(config, await resolveSourceFiles(config, landuse()), cache);
  }

  it('covers the .shp and every same-named file beside it, whatever their case, named under the import root', async () => {
    await writeShapefile('DLTB', { shp: 'geometry', dbf: 'attributes' });
    const result = await fingerprint();
    expect(result.files.map((file) => file.path)).to.deep.equal(['dltb/DLTB.DBF', 'dltb/DLTB.shp', 'dltb/DLTB.shx']);
    expect(result.files[0]).to.deep.equal({
      path: 'dltb/DLTB.DBF',
      bytes: 10,
      // `printf attributes | sha256sum`
      sha256: 'f1b4db36f908e557e2321176b6d345f5a700d4fba979381605327fdc1c8adbf7',
    });
    expect(result.fingerprint).to.match(/^sha256:[0-9a-f]{64}$/);
  });

  it('changes when only the attribute table changes', async () => {
    await writeShapefile('DLTB', { shp: 'geometry', dbf: 'attributes' });
    const before = await fingerprint();
    await writeFile(join(inbox, 'dltb', 'DLTB.DBF'), 'attributez');
    const after = await fingerprint();
    expect(after.fingerprint).to.not.equal(before.fingerprint);
    expect(after.files.find((file) => file.path === 'dltb/DLTB.shp')!.sha256).to.equal(before.files.find((file) => file.path === 'dltb/DLTB.shp')!.sha256);
  });

  it('changes when a file is renamed, though no byte changed', async () => {
    await writeShapefile('DLTB', { shp: 'geometry', dbf: 'attributes' });
    const before = await fingerprint();
    for (const extension of ['shp', 'DBF', 'shx']) await rename(join(inbox, 'dltb', `DLTB.${extension}`), join(inbox, 'dltb', `DLTB2024.${extension}`));
    expect((await fingerprint()).fingerprint).to.not.equal(before.fingerprint);
  });

  it('does not change when the same bytes are written again (new modification time)', async () => {
    await writeShapefile('DLTB', { shp: 'geometry', dbf: 'attributes' });
    const before = await fingerprint();
    await writeShapefile('DLTB', { shp: 'geometry', dbf: 'attributes' });
    await utimes(join(inbox, 'dltb', 'DLTB.shp'), new Date('2030-01-01'), new Date('2030-01-01'));
    expect((await fingerprint()).fingerprint).to.equal(before.fingerprint);
  });

  it('does not mix in a neighbour whose name only starts the same (DLTB_2.shp beside DLTB.shp)', async () => {
    await writeShapefile('DLTB', { shp: 'geometry', dbf: 'attributes' });
    const alone = await fingerprintSourceFiles(config, [join(inbox, 'dltb', 'DLTB.shp')]);
    await writeFile(join(inbox, 'dltb', 'DLTB_2.dbf'), 'other');
    const beside = await fingerprintSourceFiles(config, [join(inbox, 'dltb', 'DLTB.shp')]);
    expect(beside.fingerprint).to.equal(alone.fingerprint);
  });

  it('covers every file inside an Esri .gdb folder', async () => {
    await mkdir(join(inbox, 'dltb', 'survey.gdb'), { recursive: true });
    await writeFile(join(inbox, 'dltb', 'survey.gdb', 'a00000009.gdbtable'), 'table');
    await writeFile(join(inbox, 'dltb', 'survey.gdb', 'gdb'), 'header');
    const before = await fingerprintSourceFiles(config, [join(inbox, 'dltb', 'survey.gdb')]);
    expect(before.files.map((file) => file.path)).to.deep.equal(['dltb/survey.gdb/a00000009.gdbtable', 'dltb/survey.gdb/gdb']);
    await writeFile(join(inbox, 'dltb', 'survey.gdb', 'a00000009.gdbtable'), 'tables');
    expect((await fingerprintSourceFiles(config, [join(inbox, 'dltb', 'survey.gdb')])).fingerprint).to.not.equal(before.fingerprint);
  });

  describe('with a hash cache (the scheduler checks every few minutes)', () => {
    it('hashes a file again only when its size, modification time or inode moved', async () => {
      await writeShapefile('DLTB', { shp: 'geometry', dbf: 'attributes' });
      const cache = new FileHashCache();
      const first = await fingerprint(cache);
      expect(cache.hashedFiles).to.equal(3);
      expect((await fingerprint(cache)).fingerprint).to.equal(first.fingerprint);
      expect(cache.hashedFiles).to.equal(3);
      await utimes(join(inbox, 'dltb', 'DLTB.shx'), new Date('2030-01-01'), new Date('2030-01-01'));
      expect((await fingerprint(cache)).fingerprint).to.equal(first.fingerprint);
      expect(cache.hashedFiles).to.equal(4);
      await writeFile(join(inbox, 'dltb', 'DLTB.DBF'), 'attributes, corrected');
      expect((await fingerprint(cache)).fingerprint).to.not.equal(first.fingerprint);
      expect(cache.hashedFiles).to.equal(5);
    });
  });

  describe('given a file that vanishes before it is read', () => {
    it('throws an ImportError naming the file', async () => {
      const error = await fingerprintSourceFiles(config, [join(inbox, 'dltb', 'GONE.shp')]).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ImportError);
      expect((error as ImportError).file).to.equal(join(inbox, 'dltb', 'GONE.shp'));
      expect((error as Error).message).to.match(/GONE\.shp: disappeared/);
    });
  });
});
