import type { AttributeValue, FieldInfo } from '../feature-source.js';

/**
 * Infers attribute fields from the properties of sampled features, since GeoJSON declares none.
 *
 * - Fields come in the order they are first seen.
 * - Each is 'string', 'number' or 'boolean' as its non-null values are; values of more than one
 *   kind make it 'string'; a field seen only with null is 'string'. Nested objects and arrays
 *   have already become JSON text (see read-properties), so they are 'string'.
 * - Numbers are not split into 'integer' and 'number': a sample of whole numbers says nothing
 *   about the features after it. Dates stay strings: JSON has no date type.
 * - Fields that first appear after the sample are not listed; their values still reach the
 *   loader in `properties`.
 */
export class FieldSampler {
  private readonly types = new Map<string, FieldInfo['type'] | null>();

  add(properties: Readonly<Record<string, AttributeValue>>): void {
    for (const name of Object.keys(properties)) {
      const value = properties[name];
      const type = value === null || value === undefined ? null : typeOf(value);
      const known = this.types.get(name);
      if (known === undefined || known === null) this.types.set(name, type);
      else if (type !== null && type !== known) this.types.set(name, 'string');
    }
  }

  fields(): FieldInfo[] {
    return [...this.types].map(([name, type]) => ({ name, type: type ?? 'string' }));
  }
}

function typeOf(value: string | number | boolean): FieldInfo['type'] {
  return typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : 'boolean';
}
