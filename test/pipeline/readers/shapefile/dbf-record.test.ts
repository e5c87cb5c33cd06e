import { expect } from 'chai';
import iconv from 'iconv-lite';
import { createRecordDecoder } from '../../../../pipeline/readers/shapefile/dbf-record.js';
import type { DbfEncoding } from '../../../../pipeline/readers/shapefile/dbf-encoding.js';
import type { NamedDbfField } from '../../../../pipeline/readers/shapefile/dbf-fields.js';

/**
 * The record decoder trims and decodes on the bytes (no regular expression on the field's text,
 * no decoder for ASCII text): the values must be those of the plain definition, Latin-1 text
 * without trailing whitespace and NULs (`/[\s\0]+$/`) and leading whitespace (trimStart), and
 * text decoded in the table's encoding.
 */
function field(name: string, type: NamedDbfField['type'], offset: number, length: number, decimals = 0): NamedDbfField {
  return { name, nameBytes: Buffer.from(name), type, offset, length, decimals };
}

function encoding(label: string): DbfEncoding {
  return { label, declared: label, origin: 'option' };
}

/** A record of one field: the deletion flag, then `value`. */
function record(value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x20]), value]);
}

describe('createRecordDecoder (pipeline/readers/shapefile)', () => {
  it('reads numbers padded with any whitespace and NULs as the plain definition does', () => {
    const padding = [0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c, 0xa0, 0x00];
    for (const before of padding.filter((byte) => byte !== 0x00)) {
      for (const after of padding) {
        const bytes = Buffer.from([before, ...Buffer.from('-12.5'), after, after]);
        const decode = createRecordDecoder([field('N', 'N', 1, bytes.length, 1)], encoding('gbk'), 't.dbf');
        const plain = Number(bytes.toString('latin1').replace(/[\s\0]+$/, '').trimStart());
        expect(decode(record(bytes), 1), `0x${before.toString(16)} … 0x${after.toString(16)}`).to.deep.equal({ N: plain });
      }
    }
  });

  it('reads a field of padding only as null, and keeps inner spaces of text', () => {
    const decode = createRecordDecoder([field('A', 'C', 1, 8), field('B', 'N', 9, 4)], encoding('gbk'), 't.dbf');
    expect(decode(record(Buffer.from('a b     \0\0  ', 'latin1')), 1)).to.deep.equal({ A: 'a b', B: null });
  });

  it('decodes GBK text and takes ASCII text as it is', () => {
    const chinese = iconv.encode('何堂村民委员会', 'gbk');
    const bytes = Buffer.concat([chinese, Buffer.from('  '), Buffer.from('371502001 ')]);
    const decode = createRecordDecoder([field('ZLDWMC', 'C', 1, chinese.length + 2), field('ZLDWDM', 'C', chinese.length + 3, 10)], encoding('gbk'), 't.dbf');
    expect(decode(record(bytes), 1)).to.deep.equal({ ZLDWMC: '何堂村民委员会', ZLDWDM: '371502001' });
  });

  it('decodes ASCII-range bytes with the decoder when the encoding is not an ASCII superset (UTF-16LE)', () => {
    const decode = createRecordDecoder([field('A', 'C', 1, 2)], encoding('utf-16le'), 't.dbf');
    expect(decode(record(Buffer.from('AB')), 1)).to.deep.equal({ A: Buffer.from('AB').toString('utf16le') });
  });
});
