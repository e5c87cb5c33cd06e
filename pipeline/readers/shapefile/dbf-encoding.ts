/**
 * Which encoding a .dbf's text is in. A shapefile can say so in two places: a .cpg file beside
 * it (ESRI; values such as `UTF-8`, `GBK`, `936`, `CP936`, `ANSI 936`) and the dBASE header's
 * language driver id byte. Names are mapped to WHATWG labels that Node's TextDecoder knows.
 *
 * GBK-family names decode as GB18030: in Node's TextDecoder every valid GBK byte sequence is valid
 * GB18030 (checked over all two-byte sequences), GB18030 adds the four-byte sequences that rare
 * characters in names need (e.g. 𠀀, 0x95328236), and the two differ only where GBK has
 * private-use code points that GB18030-2005 maps to real characters.
 */

/** Where the encoding came from, for messages and logs. */
export type EncodingOrigin = 'cpg' | 'language driver' | 'option' | 'detected';

export interface DbfEncoding {
  /** A TextDecoder label. */
  readonly label: string;
  /** What the source said (the .cpg's text, the language driver byte, the option), for messages. */
  readonly declared: string;
  readonly origin: EncodingOrigin;
}

const GB18030 = 'gb18030';

/** Code page names as .cpg files and dataset configs write them, lower-cased. */
const CODE_PAGE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['65001', 'utf-8'],
  ['utf8', 'utf-8'],
  ['936', GB18030],
  ['cp936', GB18030],
  ['ms936', GB18030],
  ['windows-936', GB18030],
  ['gbk', GB18030],
  ['gb2312', GB18030],
  ['gb_2312-80', GB18030],
  ['x-gbk', GB18030],
  ['54936', GB18030],
  ['gb18030', GB18030],
  ['950', 'big5'],
  ['cp950', 'big5'],
  ['88591', 'iso-8859-1'], // ESRI's spelling of ISO 8859-1
]);

/**
 * Language driver ids naming Chinese code pages (dBASE/Visual FoxPro tables, as GDAL reads them).
 * 0x57 means "the writer's ANSI code page", which says nothing; other ids are left out on purpose.
 */
const LANGUAGE_DRIVERS: ReadonlyMap<number, string> = new Map([
  [0x4d, GB18030], // 936, Chinese GBK (PRC)
  [0x7a, GB18030], // 936, PRC GBK (Visual FoxPro)
  [0x4f, 'big5'], // 950, Chinese Big5 (Taiwan)
  [0x78, 'big5'], // 950, Taiwan Big5 (Visual FoxPro)
]);

/** The TextDecoder label for a code page name, or null when Node cannot decode it. */
export function decoderLabel(name: string): string | null {
  const key = name.trim().toLowerCase().replace(/^ansi\s+/, '');
  const label = CODE_PAGE_ALIASES.get(key) ?? (/^(125\d)$/.test(key) ? `windows-${key}` : key.replace(/^cp(125\d)$/, 'windows-$1'));
  try {
    new TextDecoder(label);
    return label;
  } catch {
    return null;
  }
}

/** The encoding a language driver id names, or null when it names none this reader trusts. */
export function languageDriverLabel(id: number): string | null {
  return LANGUAGE_DRIVERS.get(id) ?? null;
}

/** How a label is called in messages: `GB18030`, `UTF-8`. */
export function displayName(label: string): string {
  return new TextDecoder(label).encoding.toUpperCase();
}
