import { ImportError } from '../../../core/errors.js';
import type { FieldInfo } from '../feature-source.js';
import type { DbfField } from './dbf-header.js';
import { displayName, type DbfEncoding } from './dbf-encoding.js';

export interface NamedDbfField extends DbfField {
  readonly name: string;
}

/** Decodes the field names in the table's encoding (names may be Chinese) and refuses blank or repeated ones. */
export function nameFields(fields: readonly DbfField[], encoding: DbfEncoding, file: string): NamedDbfField[] {
  const decoder = new TextDecoder(encoding.label, { fatal: true });
  const seen = new Set<string>();
  return fields.map((field, i) => {
    let name: string;
    try {
      name = decoder.decode(field.nameBytes).trim();
    } catch (cause) {
      throw new ImportError({ file, field: `number ${i + 1}` }, `has a name that is not valid ${displayName(encoding.label)}`, { cause });
    }
    if (name === '') throw new ImportError({ file, field: `number ${i + 1}` }, 'has no name');
    // Writers truncate names to 10 bytes, so two long names can end up the same.
    if (seen.has(name)) throw new ImportError({ file, field: name }, 'is declared twice');
    seen.add(name);
    return { ...field, name };
  });
}

/** How the loader sees a field: N with no decimals holds integers, N with decimals and F hold numbers. */
export function fieldInfo(field: NamedDbfField): FieldInfo {
  switch (field.type) {
    case 'C':
      return { name: field.name, type: 'string' };
    case 'N':
      return { name: field.name, type: field.decimals === 0 ? 'integer' : 'number' };
    case 'F':
      return { name: field.name, type: 'number' };
    case 'L':
      return { name: field.name, type: 'boolean' };
    case 'D':
      return { name: field.name, type: 'date' };
  }
}
