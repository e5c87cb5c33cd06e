import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { ConfigError, ImportError } from '../../../../core/errors.js';
import { openShapefile } from '../../../../pipeline/readers/shapefile/open-shapefile.js';
import { makeTempDir, patchFile, readAll, removeTempDir, sibling, square, writeShapefile, writeText, type TestFeature } from './shapefile-files.js';

const OFFSET_LANGUAGE_DRIVER = 29;

const PARCELS: readonly TestFeature[] = [
  { properties: { BSM: '371502000000000001', DLBM: '0101', DLMC: '水田', QSDWMC: '张庄村民委员会', TBMJ: 1234.56, SJNF: 2023 }, geometry: square(39468123.456, 4035127.891) },
  { properties: { BSM: '371502000000000002', DLBM: '0702', DLMC: '农村宅基地', QSDWMC: '李家洼村民委员会', TBMJ: 88.5, SJNF: 2023 }, geometry: square(39468133.456, 4035127.891) },
  { properties: { BSM: '371502000000000003', DLBM: '1006', DLMC: '农村道路', QSDWMC: '东昌府区国有土地', TBMJ: 10, SJNF: 2023 }, geometry: square(39468143.456, 4035127.891) },
];

const names = (features: readonly { properties: Readonly<Record<string, unknown>> }[]) =>
  features.map((feature) => [feature.properties.DLMC, feature.properties.QSDWMC]);

const EXPECTED_NAMES = PARCELS.map((parcel) => [parcel.properties.DLMC, parcel.properties.QSDWMC]);

describe('openShapefile: attribute encoding (pipeline/readers/shapefile)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  describe('given a GBK .dbf with a .cpg saying GBK', () => {
    it('reads the Chinese values exactly, as the .cpg says', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', PARCELS, { encoding: 'gbk', cpg: true }));
      expect(source.encoding).to.deep.equal({ label: 'gb18030', declared: 'GBK', origin: 'cpg' });
      expect(names(await readAll(source))).to.deep.equal(EXPECTED_NAMES);
    });

    it('says how many features it holds before any is read, from the .shx (progress, ETA)', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', PARCELS, { encoding: 'gbk', cpg: true }));
      await source.close();
      expect(source.featureCount).to.equal(PARCELS.length);
    });
  });

  for (const cpg of ['936', 'CP936', 'cp936', 'ANSI 936', 'gb2312', 'GB18030', ' gbk\r\n']) {
    describe(`given a GBK .dbf with a .cpg saying ${JSON.stringify(cpg)}`, () => {
      it('reads the Chinese values exactly', async () => {
        const shp = await writeShapefile(dir, 'dltb', PARCELS, { encoding: 'gbk', cpg: true });
        await writeText(sibling(shp, 'cpg'), cpg);
        expect(names(await readAll(await openShapefile(shp)))).to.deep.equal(EXPECTED_NAMES);
      });
    });
  }

  for (const cpg of ['UTF-8', 'utf8', '65001']) {
    describe(`given a UTF-8 .dbf with a .cpg saying ${JSON.stringify(cpg)}`, () => {
      it('reads the Chinese values exactly', async () => {
        const shp = await writeShapefile(dir, 'dltb', PARCELS, { encoding: 'utf-8', cpg: true });
        await writeText(sibling(shp, 'cpg'), cpg);
        const source = await openShapefile(shp);
        expect(source.encoding.label).to.equal('utf-8');
        expect(names(await readAll(source))).to.deep.equal(EXPECTED_NAMES);
      });
    });
  }

  describe('given a GBK .dbf without a .cpg or language driver id', () => {
    it('detects GB18030 (the bytes are not UTF-8) and reads the values exactly', async () => {
      const shp = await writeShapefile(dir, 'dltb', PARCELS, { encoding: 'gbk', cpg: false });
      await patchFile(sibling(shp, 'dbf'), OFFSET_LANGUAGE_DRIVER, Buffer.from([0]));
      const source = await openShapefile(shp);
      expect(source.encoding).to.deep.equal({ label: 'gb18030', declared: 'GB18030', origin: 'detected' });
      expect(names(await readAll(source))).to.deep.equal(EXPECTED_NAMES);
    });
  });

  describe('given a UTF-8 .dbf without a .cpg', () => {
    it('detects UTF-8 and reads the values exactly', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', PARCELS, { encoding: 'utf-8', cpg: false }));
      expect(source.encoding).to.deep.equal({ label: 'utf-8', declared: 'UTF-8', origin: 'detected' });
      expect(names(await readAll(source))).to.deep.equal(EXPECTED_NAMES);
    });
  });

  describe('given an ASCII-only .dbf without a .cpg', () => {
    it('takes it as UTF-8', async () => {
      const ascii = PARCELS.map((parcel) => ({ ...parcel, properties: { BSM: parcel.properties.BSM ?? null, DLBM: parcel.properties.DLBM ?? null } }));
      const source = await openShapefile(await writeShapefile(dir, 'dltb', ascii, { encoding: 'utf-8', cpg: false }));
      expect(source.encoding.label).to.equal('utf-8');
      expect((await readAll(source)).map((feature) => feature.properties.DLBM)).to.deep.equal(['0101', '0702', '1006']);
    });
  });

  describe('given a GBK .dbf without a .cpg whose header has language driver id 0x4D (GBK)', () => {
    // 姘寸敯 in GBK is byte for byte 水田 in UTF-8 (e6b0b4e794b0): only the language driver id tells them apart.
    const mojibake = [{ properties: { DLMC: '姘寸敯' }, geometry: square(39468123.456, 4035127.891) }];

    it('decodes as GBK, even where the bytes happen to be valid UTF-8', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', mojibake, { encoding: 'gbk', cpg: false }));
      expect(source.encoding).to.deep.equal({ label: 'gb18030', declared: '0x4D', origin: 'language driver' });
      expect((await readAll(source))[0]!.properties.DLMC).to.equal('姘寸敯');
    });

    it('would have read UTF-8 without it', async () => {
      const shp = await writeShapefile(dir, 'dltb', mojibake, { encoding: 'gbk', cpg: false });
      await patchFile(sibling(shp, 'dbf'), OFFSET_LANGUAGE_DRIVER, Buffer.from([0]));
      expect((await readAll(await openShapefile(shp)))[0]!.properties.DLMC).to.equal('水田');
    });

    it('prefers it to the dataset option', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', mojibake, { encoding: 'gbk', cpg: false }), { encoding: 'UTF-8' });
      expect(source.encoding.origin).to.equal('language driver');
      await source.close();
    });
  });

  describe('given a .dbf without a .cpg or language driver id, and the dataset option GBK', () => {
    it('decodes as the option says', async () => {
      const shp = await writeShapefile(dir, 'dltb', [{ properties: { DLMC: '姘寸敯' }, geometry: null }], { encoding: 'gbk', cpg: false });
      await patchFile(sibling(shp, 'dbf'), OFFSET_LANGUAGE_DRIVER, Buffer.from([0]));
      const source = await openShapefile(shp, { encoding: 'GBK' });
      expect(source.encoding).to.deep.equal({ label: 'gb18030', declared: 'GBK', origin: 'option' });
      expect((await readAll(source))[0]!.properties.DLMC).to.equal('姘寸敯');
    });
  });

  describe('given a UTF-8 .dbf with a .cpg, and the dataset option GBK', () => {
    it('follows the .cpg', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', PARCELS, { encoding: 'utf-8', cpg: true }), { encoding: 'GBK' });
      expect(source.encoding.origin).to.equal('cpg');
      expect(names(await readAll(source))).to.deep.equal(EXPECTED_NAMES);
    });
  });

  describe('given an empty .cpg', () => {
    it('takes it as saying nothing', async () => {
      const shp = await writeShapefile(dir, 'dltb', PARCELS, { encoding: 'gbk', cpg: true });
      await writeText(sibling(shp, 'cpg'), '\r\n');
      const source = await openShapefile(shp);
      expect(source.encoding.origin).to.equal('language driver');
      await source.close();
    });
  });

  describe('given a GB18030 .dbf holding a character GBK lacks (𠀀, U+20000)', () => {
    const rare = [{ properties: { QSDWMC: '𠀀庄村民委员会' }, geometry: null }];

    it('reads it exactly with a .cpg saying GB18030', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', rare, { encoding: 'gb18030', cpg: true }));
      expect((await readAll(source))[0]!.properties.QSDWMC).to.equal('𠀀庄村民委员会');
    });

    it('reads it exactly with a .cpg saying GBK (GB18030 is decoded for GBK)', async () => {
      const shp = await writeShapefile(dir, 'dltb', rare, { encoding: 'gb18030', cpg: true });
      await writeText(sibling(shp, 'cpg'), 'GBK');
      expect((await readAll(await openShapefile(shp)))[0]!.properties.QSDWMC).to.equal('𠀀庄村民委员会');
    });

    it('reads it exactly without a .cpg (detected)', async () => {
      const source = await openShapefile(await writeShapefile(dir, 'dltb', rare, { encoding: 'gb18030', cpg: false }));
      expect(source.encoding.origin).to.equal('detected');
      expect((await readAll(source))[0]!.properties.QSDWMC).to.equal('𠀀庄村民委员会');
    });
  });

  describe('given a .cpg naming an encoding Node cannot decode', () => {
    it('refuses the file, naming the .cpg and the encoding', async () => {
      const shp = await writeShapefile(dir, 'dltb', PARCELS);
      await writeText(sibling(shp, 'cpg'), 'EBCDIC-KLINGON');
      const error = await openShapefile(shp).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ImportError);
      expect(error).to.include({ file: sibling(shp, 'cpg'), feature: undefined, field: undefined });
      expect((error as Error).message).to.equal(`${sibling(shp, 'cpg')}: names the encoding "EBCDIC-KLINGON", which Node cannot decode`);
    });
  });

  describe('given a .cpg saying UTF-8 over GBK text', () => {
    it('refuses the first value that is not UTF-8, naming feature and field', async () => {
      const shp = await writeShapefile(dir, 'dltb', PARCELS, { encoding: 'gbk', cpg: true });
      await writeText(sibling(shp, 'cpg'), 'UTF-8');
      const error = await readAll(await openShapefile(shp)).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ImportError);
      expect(error).to.include({ file: sibling(shp, 'dbf'), feature: 1, field: 'DLMC' });
      expect((error as Error).message).to.equal(`${sibling(shp, 'dbf')}, feature 1, field DLMC: is not valid UTF-8 text (bytes cbaeccef); the .cpg says "UTF-8"`);
    });
  });

  describe('given a dataset option naming an encoding Node cannot decode', () => {
    it('refuses it before opening anything, as a configuration error', async () => {
      await rm(dir, { recursive: true });
      const error = await openShapefile(`${dir}/missing.shp`, { encoding: 'nope-1' }).then(() => null, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(/^encoding "nope-1" is not an encoding Node can decode/);
    });
  });
});
