import type { AttributeValue } from '../feature-source.js';
import { describe } from './describe-value.js';

/** A property that cannot be passed on, with the field it is in (when the problem is one field). */
export class PropertyProblem extends Error {
  override readonly name = 'PropertyProblem';

  constructor(readonly field: string | undefined, message: string) {
    super(message);
  }
}

/**
 * A Feature's `properties` as attribute values: strings, numbers, booleans and null pass as
 * they are; nested objects and arrays become their JSON text (the tables hold scalars).
 * Missing or null `properties` give no attributes (RFC 7946 §3.2 allows null).
 *
 * Refused: a non-finite number (1e999 parses as Infinity), and U+FFFD in a name or text.
 * The parser turns bytes that are not UTF-8 into U+FFFD; in a delivery that means the file
 * was written in GBK (or another legacy code page) and every Chinese value would be lost.
 *
 * The parsed object is rewritten in place: it is fresh from the parser and used only here.
 */
export function readProperties(value: unknown): Record<string, AttributeValue> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new PropertyProblem(undefined, `"properties" is ${describe(value)}, not an object`);
  }
  const properties = value as Record<string, unknown>;
  for (const key of Object.keys(properties)) {
    if (key.includes(REPLACEMENT_CHARACTER)) throw new PropertyProblem(key, `the field name ${NOT_UTF8}`);
    const property = properties[key];
    switch (typeof property) {
      case 'string':
        if (property.includes(REPLACEMENT_CHARACTER)) throw new PropertyProblem(key, `the value ${NOT_UTF8}`);
        break;
      case 'number':
        if (!Number.isFinite(property)) throw new PropertyProblem(key, `the value is not a finite number (it overflows to ${property})`);
        break;
      case 'boolean':
        break;
      default:
        if (property !== null) {
          const text = JSON.stringify(property);
          if (text.includes(REPLACEMENT_CHARACTER)) throw new PropertyProblem(key, `the value ${NOT_UTF8}`);
          // defineProperty, not assignment: for a key "__proto__", assignment would call the setter.
          Object.defineProperty(properties, key, { value: text, writable: true, enumerable: true, configurable: true });
        }
    }
  }
  return properties as Record<string, AttributeValue>;
}

const REPLACEMENT_CHARACTER = '\uFFFD';
const NOT_UTF8 = 'holds bytes that are not UTF-8 (shown as U+FFFD): GeoJSON must be UTF-8 (RFC 7946 §11); was the file written in GBK?';
