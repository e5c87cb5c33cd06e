import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ImportError } from '../../../../core/errors.js';
import { extractZip, listZipEntries } from '../../../../pipeline/readers/zip/open-zip.js';
import { patchZipEntry, writeZip, zeros, type ZipItem } from './zip-fixtures.js';

// A shapefile's parts, with bytes that differ per part (a real .shp header starts 00 00 27 0a).
const SHP = Buffer.concat([Buffer.from([0x00, 0x00, 0x27, 0x0a]), Buffer.alloc(96, 1)]);
const DBF = Buffer.concat([Buffer.from([0x03, 0x7c, 0x05, 0x01]), Buffer.from('水田农村宅基地', 'utf8')]);
const PRJ = 'PROJCS["CGCS2000_3_Degree_GK_Zone_39",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000"]]';
const MiB = 1024 * 1024;

async function caught(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  return expect.fail('expected a failure');
}

/** Expects an ImportError naming exactly `file`, with a message matching `message`. */
async function expectRefusal(action: () => Promise<unknown>, file: string, message: RegExp): Promise<void> {
  const error = await caught(action);
  expect(error, String(error)).to.be.instanceOf(ImportError);
  expect((error as ImportError).file).to.equal(file);
  if (!message.test((error as Error).message)) expect.fail(`the message ${JSON.stringify((error as Error).message)} does not match ${message}`);
}

describe('extractZip and listZipEntries (pipeline/readers/zip)', () => {
  let dir: string;
  let count = 0;
  /** A fresh zip path and extraction folder for each zip. */
  const paths = (name: string) => ({ zip: join(dir, `${name}.zip`), out: join(dir, `out-${name}-${++count}`) });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'planmap-zip-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('given a delivery of shapefiles in folders', () => {
    const items: ZipItem[] = [
      { name: '土地利用/', isDirectory: true },
      { name: '土地利用/地类图斑.shp', data: SHP },
      { name: '土地利用/地类图斑.dbf', data: DBF },
      { name: '土地利用/地类图斑.prj', data: PRJ, compress: false },
      { name: '土地利用/地类图斑.cpg', data: 'UTF-8' },
      { name: '说明.txt', data: '2024年度国土变更调查成果' },
    ];
    let zip: string;
    let out: string;

    before(async () => {
      ({ zip, out } = paths('delivery'));
      await writeZip(zip, items);
    });

    it('extracts every file byte for byte, in its folders', async () => {
      const extracted = await extractZip(zip, out);
      expect(extracted.dir).to.equal(out);
      for (const item of items.filter((one) => !one.isDirectory)) {
        expect(await readFile(join(out, item.name)), item.name).to.deep.equal(Buffer.from(item.data as string | Buffer));
      }
      expect((await readdir(out)).sort()).to.deep.equal(['土地利用', '说明.txt']);
    });

    it('lists the entries, with their sizes, from the central directory', async () => {
      const entries = await listZipEntries(zip);
      expect(entries.map((entry) => [entry.path, entry.isDirectory, entry.uncompressedBytes])).to.deep.equal([
        ['土地利用', true, 0],
        ['土地利用/地类图斑.shp', false, SHP.length],
        ['土地利用/地类图斑.dbf', false, DBF.length],
        ['土地利用/地类图斑.prj', false, PRJ.length],
        ['土地利用/地类图斑.cpg', false, 5],
        ['说明.txt', false, Buffer.byteLength('2024年度国土变更调查成果')],
      ]);
    });

    it('refuses to extract into a folder that is not empty', async () => {
      const target = join(dir, 'not-empty');
      await mkdir(target, { recursive: true });
      await writeFile(join(target, 'old.shp'), 'x');
      const error = await caught(() => extractZip(zip, target));
      expect((error as Error).message).to.match(/must be empty or not exist/);
    });
  });

  describe('given names in GBK without the UTF-8 flag, as Chinese Windows writes them', () => {
    it('decodes them as GBK', async () => {
      const { zip, out } = paths('gbk');
      await writeZip(zip, [{ name: 'abcdefgh.shp', data: SHP }]);
      // 地类图斑.shp in GBK is 12 bytes, as is the placeholder.
      await patchZipEntry(zip, 'abcdefgh.shp', { name: Buffer.from('b5d8c0e0cdbcb0df2e736870', 'hex'), flags: (flags) => flags & ~0x800 });
      expect((await listZipEntries(zip)).map((entry) => entry.path)).to.deep.equal(['地类图斑.shp']);
      await extractZip(zip, out);
      expect(await readFile(join(out, '地类图斑.shp'))).to.deep.equal(SHP);
    });
  });

  describe('given an entry that would escape the extraction folder', () => {
    const cases = [
      { it: 'refuses a ".." path (path traversal), naming the entry', safe: 'xx/evil.txt', hostile: '../evil.txt', message: /has "\.\." in its path.*path traversal/ },
      { it: 'refuses ".." deeper in the path', safe: 'a/xx/xx/evil.txt', hostile: 'a/../../evil.txt', message: /has "\.\." in its path/ },
      { it: 'refuses ".." written with backslashes', safe: 'xx_evil.txt', hostile: '..\\evil.txt', message: /has "\.\." in its path/ },
      { it: 'refuses an absolute path', safe: '_tmp/evil.txt', hostile: '/tmp/evil.txt', message: /has an absolute path/ },
      { it: 'refuses a Windows drive path', safe: 'Cx/evil.txt', hostile: 'C:/evil.txt', message: /has an absolute path/ },
    ];
    for (const { it: title, safe, hostile, message } of cases) {
      it(title, async () => {
        const { zip, out } = paths('traversal');
        await writeZip(zip, [{ name: 'good.shp', data: SHP }, { name: safe, data: 'pwned' }]);
        await patchZipEntry(zip, safe, { name: hostile });
        await expectRefusal(() => extractZip(zip, out), `${zip}!/${hostile}`, message);
        await expectRefusal(() => listZipEntries(zip), `${zip}!/${hostile}`, message);
        expect(existsSync(out), 'nothing extracted').to.equal(false);
        expect(existsSync(join(dir, 'evil.txt'))).to.equal(false);
      });
    }

    it('refuses a symbolic link', async () => {
      const { zip, out } = paths('symlink');
      await writeZip(zip, [{ name: 'data/link.shp', data: '/etc/passwd', mode: 0o120777 }]);
      await expectRefusal(() => extractZip(zip, out), `${zip}!/data/link.shp`, /is a symbolic link/);
      expect(existsSync(out)).to.equal(false);
    });

    it('refuses two entries with the same path', async () => {
      const { zip, out } = paths('duplicate');
      await writeZip(zip, [{ name: 'a/DLTB.shp', data: SHP }, { name: 'a/DLTB.shp', data: 'other' }]);
      await expectRefusal(() => extractZip(zip, out), `${zip}!/a/DLTB.shp`, /appears twice/);
    });
  });

  describe('given a zip bomb: 200 MB of zeros deflated to about 200 KB', () => {
    let zip: string;
    let out: string;

    before(async () => {
      ({ zip, out } = paths('bomb'));
      await writeZip(zip, [{ name: 'readme.txt', data: 'hello' }, { name: 'zeros.dbf', data: zeros(200 * MiB) }]);
    });

    it('is small on disk', async () => {
      expect((await stat(zip)).size).to.be.below(MiB);
    });

    it('refuses it from its declared sizes, before inflating anything', async () => {
      await expectRefusal(() => extractZip(zip, out), `${zip}!/zeros.dbf`, /would inflate \d+ bytes to 209715200, a ratio above the limit of 100:1 \(refused as a possible zip bomb\)/);
      expect(existsSync(out)).to.equal(false);
    });

    it('refuses it when listing, too', async () => {
      await expectRefusal(() => listZipEntries(zip), `${zip}!/zeros.dbf`, /ratio above the limit of 100:1/);
    });

    it('refuses it while inflating when the header understates the size, and removes what was written', async () => {
      const lying = join(dir, 'bomb-lying.zip');
      await writeFile(lying, await readFile(zip));
      // A declared size small enough to pass every check before extraction.
      await patchZipEntry(lying, 'zeros.dbf', { uncompressedBytes: 1000 });
      const target = join(dir, 'out-bomb-lying');
      await expectRefusal(() => extractZip(lying, target), `${lying}!/zeros.dbf`, /inflates to more than the 1000 bytes its header declares/);
      expect(existsSync(target), 'the extraction folder is removed').to.equal(false);
    });
  });

  describe('given limits', () => {
    it('refuses more entries than maxEntries', async () => {
      const { zip, out } = paths('many');
      await writeZip(zip, Array.from({ length: 12 }, (_, i) => ({ name: `f${i}.txt`, data: String(i) })));
      await expectRefusal(() => extractZip(zip, out, { maxEntries: 10 }), zip, /holds 12 entries, more than the limit of 10/);
    });

    it('refuses a total size above maxTotalBytes, naming the entry that passes it', async () => {
      const { zip, out } = paths('total');
      const part = Buffer.alloc(MiB, 'x');
      await writeZip(zip, [{ name: 'a.shp', data: part, compress: false }, { name: 'b.shp', data: part, compress: false }, { name: 'c.shp', data: part, compress: false }]);
      await expectRefusal(() => extractZip(zip, out, { maxTotalBytes: 2.5 * MiB }), `${zip}!/c.shp`, /total uncompressed size to 3145728 bytes, more than the limit of 2621440/);
    });

    it('lets small entries compress past maxRatio (a .cpg, a blank-padded .dbf)', async () => {
      const { zip, out } = paths('grace');
      await writeZip(zip, [{ name: 'DLTB.dbf', data: Buffer.alloc(512 * 1024, ' ') }]);
      const extracted = await extractZip(zip, out);
      expect(extracted.entries.map((entry) => entry.uncompressedBytes)).to.deep.equal([512 * 1024]);
    });

    it('refuses limits out of range, naming the option', async () => {
      const error = await caught(() => listZipEntries(join(dir, 'none.zip'), { maxRatio: 0 }));
      expect(error).to.be.instanceOf(RangeError);
      expect((error as Error).message).to.equal('zip limit maxRatio must be a finite number >= 1, got 0');
    });
  });

  describe('given a zip that cannot be read', () => {
    it('refuses a file that is not a zip', async () => {
      const zip = join(dir, 'not.zip');
      await writeFile(zip, '{"type": "FeatureCollection"}');
      await expectRefusal(() => extractZip(zip, join(dir, 'out-not')), zip, /is not a readable zip file/);
      expect(existsSync(join(dir, 'out-not'))).to.equal(false);
    });

    it('refuses an encrypted entry', async () => {
      const { zip, out } = paths('encrypted');
      await writeZip(zip, [{ name: 'DLTB.shp', data: SHP }]);
      await patchZipEntry(zip, 'DLTB.shp', { flags: (flags) => flags | 0x1 });
      await expectRefusal(() => extractZip(zip, out), `${zip}!/DLTB.shp`, /is encrypted/);
    });

    it('refuses a compression method other than deflate', async () => {
      const { zip, out } = paths('lzma');
      await writeZip(zip, [{ name: 'DLTB.shp', data: SHP }]);
      await patchZipEntry(zip, 'DLTB.shp', { compressionMethod: 14 });
      await expectRefusal(() => extractZip(zip, out), `${zip}!/DLTB.shp`, /uses compression method 14/);
    });

    it('refuses an entry whose data are damaged', async () => {
      const { zip, out } = paths('damaged');
      await writeZip(zip, [{ name: 'DLTB.dbf', data: DBF, compress: false }]);
      const bytes = await readFile(zip);
      bytes[bytes.indexOf(DBF) + 5]! ^= 0xff;
      await writeFile(zip, bytes);
      await expectRefusal(() => extractZip(zip, out), `${zip}!/DLTB.dbf`, /is damaged: its CRC-32 does not match/);
      expect(existsSync(out)).to.equal(false);
    });
  });

  describe('given an entry whose deflated data are damaged', () => {
    it('refuses it, naming the entry, and removes what was written', async () => {
      const { zip, out } = paths('damaged-deflate');
      const text = Array.from({ length: 2000 }, (_, i) => `${i},地类图斑,${(i * 7919) % 1000}`).join('\n');
      await writeZip(zip, [{ name: 'first.txt', data: 'intact' }, { name: 'DLTB.csv', data: text }]);
      const bytes = await readFile(zip);
      const start = bytes.indexOf('DLTB.csv') + 'DLTB.csv'.length;
      for (let i = start + 100; i < start + 140; i++) bytes[i] = 0xff;
      await writeFile(zip, bytes);
      await expectRefusal(() => extractZip(zip, out), `${zip}!/DLTB.csv`, /is damaged/);
      expect(existsSync(out)).to.equal(false);
    });
  });

  describe('given an aborted extraction', () => {
    it('stops with the signal\'s reason and removes what it wrote', async () => {
      const { zip, out } = paths('abort');
      await writeZip(zip, [{ name: 'a.shp', data: SHP }, { name: 'b.shp', data: SHP }]);
      const controller = new AbortController();
      const reason = new Error('import cancelled');
      controller.abort(reason);
      expect(await caught(() => extractZip(zip, out, { signal: controller.signal }))).to.equal(reason);
      expect(existsSync(out)).to.equal(false);
    });
  });
});
