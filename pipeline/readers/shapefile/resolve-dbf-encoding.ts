import type { FileHandle } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { ImportError } from '../../../core/errors.js';
import { decoderLabel, languageDriverLabel, type DbfEncoding } from './dbf-encoding.js';
import type { DbfHeader } from './dbf-header.js';
import { isDbfTextUtf8 } from './detect-dbf-encoding.js';

/** The dataset config's encoding, already checked to be one Node can decode. */
export interface ConfiguredEncoding {
  readonly label: string;
  readonly name: string;
}

/**
 * Decides the .dbf's encoding, the files' own word first:
 *  1. the .cpg (a .cpg naming an encoding Node cannot decode is an error, not a reason to guess);
 *  2. the dBASE header's language driver id, when it names a Chinese code page (0x4D: GBK);
 *  3. the dataset's configured encoding;
 *  4. detection: UTF-8 when every text value is valid UTF-8, else GB18030.
 * The language driver id comes before the config because it is written by the tool that wrote
 * the text, while the config is one setting for all of a dataset's deliveries.
 */
export async function resolveDbfEncoding(
  cpg: string | null,
  header: DbfHeader,
  dbf: FileHandle,
  configured: ConfiguredEncoding | null,
): Promise<DbfEncoding> {
  const declared = cpg === null ? '' : (await readFile(cpg, 'utf8')).replace(/^\uFEFF/, '').trim();
  if (cpg !== null && declared !== '') {
    const label = decoderLabel(declared);
    if (label === null) throw new ImportError({ file: cpg }, `names the encoding ${JSON.stringify(declared)}, which Node cannot decode`);
    return { label, declared, origin: 'cpg' };
  }
  const driverLabel = languageDriverLabel(header.languageDriverId);
  if (driverLabel !== null) {
    return { label: driverLabel, declared: `0x${header.languageDriverId.toString(16).toUpperCase()}`, origin: 'language driver' };
  }
  if (configured !== null) return { label: configured.label, declared: configured.name, origin: 'option' };
  return (await isDbfTextUtf8(dbf, header))
    ? { label: 'utf-8', declared: 'UTF-8', origin: 'detected' }
    : { label: 'gb18030', declared: 'GB18030', origin: 'detected' };
}
