/**
 * A small XML writer for the WMTS documents: elements as plain data, serialised with escaping
 * done in exactly one place. No XML library is installed for the server, and the documents are
 * simple (no mixed content, no namespaces to resolve), so a tree of plain objects and two
 * escaping functions are all it takes.
 */

export type XmlAttributeValue = string | number | boolean | undefined;

export interface XmlElement {
  /** Qualified name as written (`ows:Title`); never user input. */
  readonly name: string;
  /** Attributes in writing order; `undefined` values are left out. */
  readonly attributes: Readonly<Record<string, XmlAttributeValue>>;
  /** Child elements and text; an element with only text stays on one line. */
  readonly children: readonly (XmlElement | string)[];
}

/** An element; numbers among the children are written with `formatXmlNumber`. */
export function xmlElement(
  name: string,
  attributes: Readonly<Record<string, XmlAttributeValue>> = {},
  ...children: readonly (XmlElement | string | number | null | undefined | false)[]
): XmlElement {
  return {
    name,
    attributes,
    children: children
      .filter((child): child is XmlElement | string | number => child !== null && child !== undefined && child !== false)
      .map((child) => (typeof child === 'number' ? formatXmlNumber(child) : child)),
  };
}

/** An element holding only text (or a number). */
export function xmlText(name: string, text: string | number, attributes: Readonly<Record<string, XmlAttributeValue>> = {}): XmlElement {
  return xmlElement(name, attributes, text);
}

/**
 * Characters XML 1.0 does not allow at all (§2.2: controls other than tab, LF and CR, lone
 * surrogates, U+FFFE and U+FFFF). Request text echoed in an exception report may hold them;
 * they become U+FFFD so the document stays well-formed.
 */
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const TEXT_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Attribute values also escape both quotes, and tab/LF/CR as character references: a parser
 * would otherwise normalise them to spaces (XML 1.0 §3.3.3).
 */
const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  ...TEXT_ESCAPES,
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** Escapes character data; `>` too, so that `]]>` can never appear. */
export function escapeXmlText(text: string): string {
  return text.replace(FORBIDDEN_CHARACTERS, '\uFFFD').replace(/[&<>]/g, (char) => TEXT_ESCAPES[char]!);
}

export function escapeXmlAttribute(value: string): string {
  return value.replace(FORBIDDEN_CHARACTERS, '\uFFFD').replace(/[&<>"'\t\n\r]/g, (char) => ATTRIBUTE_ESCAPES[char]!);
}

/**
 * Numbers as the shortest text that reads back as the same double (so scale denominators and
 * corners round-trip exactly). Never exponent notation, which xs:double allows but some WMTS
 * clients do not parse; never NaN or Infinity.
 */
export function formatXmlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} as an XML number`);
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  // Move the decimal point of the shortest digits rather than re-round them.
  const [, sign, whole, fraction = '', exponentText] = match as unknown as [string, string, string, string | undefined, string];
  const digits = whole + fraction;
  const point = whole.length + Number(exponentText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
}

/** The document with its XML declaration, indented by two spaces per level. */
export function serializeXmlDocument(root: XmlElement): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  writeElement(root, 0, lines);
  return `${lines.join('\n')}\n`;
}

function writeElement(element: XmlElement, depth: number, lines: string[]): void {
  const indent = '  '.repeat(depth);
  const open = `${indent}<${element.name}${formatAttributes(element.attributes)}`;
  if (element.children.length === 0) {
    lines.push(`${open}/>`);
    return;
  }
  if (element.children.every((child) => typeof child === 'string')) {
    lines.push(`${open}>${(element.children as string[]).map(escapeXmlText).join('')}</${element.name}>`);
    return;
  }
  lines.push(`${open}>`);
  for (const child of element.children) {
    if (typeof child === 'string') lines.push(`${indent}  ${escapeXmlText(child)}`);
    else writeElement(child, depth + 1, lines);
  }
  lines.push(`${indent}</${element.name}>`);
}

function formatAttributes(attributes: Readonly<Record<string, XmlAttributeValue>>): string {
  let text = '';
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    const written = typeof value === 'number' ? formatXmlNumber(value) : String(value);
    text += ` ${name}="${escapeXmlAttribute(written)}"`;
  }
  return text;
}
