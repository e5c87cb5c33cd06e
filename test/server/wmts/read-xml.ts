import { DOMParser, type Document, type Element } from '@xmldom/xmldom';

/** Namespaces of WMTS 1.0.0 documents. */
export const WMTS = 'http://www.opengis.net/wmts/1.0';
export const OWS = 'http://www.opengis.net/ows/1.1';
export const XLINK = 'http://www.w3.org/1999/xlink';

/**
 * Parses XML strictly: any error of the parser fails the test with its message. (Warnings
 * pass: xmldom warns about U+FFFD, which the writer puts in place of forbidden characters.)
 */
export function parseXml(text: string): Document {
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new Error(`XML ${level}: ${message}\n${text.slice(0, 400)}`);
    },
  });
  return parser.parseFromString(text, 'application/xml');
}

/** Child elements of `parent` with this namespace and local name, in document order. */
export function childElements(parent: Element | Document, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1) {
      const element = node as Element;
      if (element.namespaceURI === namespace && element.localName === localName) found.push(element);
    }
  }
  return found;
}

/** The one child element of that name; fails when there is none or several. */
export function childElement(parent: Element | Document, namespace: string, localName: string): Element {
  const found = childElements(parent, namespace, localName);
  if (found.length !== 1) throw new Error(`expected one ${localName} in ${(parent as Element).localName ?? 'document'}, found ${found.length}`);
  return found[0]!;
}

/** The text of the one child element of that name. */
export function childText(parent: Element | Document, namespace: string, localName: string): string {
  return childElement(parent, namespace, localName).textContent ?? '';
}

/** Local names of the child elements, in order (to check the schema's sequence). */
export function childNames(parent: Element): string[] {
  const names: string[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1) names.push((node as Element).localName!);
  }
  return names;
}

export interface ParsedException {
  readonly code: string | null;
  readonly locator: string | null;
  readonly text: string;
}

/** The exceptions of an OWS 1.1 ExceptionReport; fails when the document is not one. */
export function parseExceptionReport(text: string): ParsedException[] {
  const report = parseXml(text).documentElement;
  if (!report || report.namespaceURI !== OWS || report.localName !== 'ExceptionReport') {
    throw new Error(`expected an ows:ExceptionReport, got: ${text.slice(0, 300)}`);
  }
  if (report.getAttribute('version') !== '1.0.0') throw new Error('ExceptionReport without version="1.0.0"');
  return childElements(report, OWS, 'Exception').map((exception) => ({
    code: exception.getAttribute('exceptionCode'),
    locator: exception.getAttribute('locator'),
    text: childText(exception, OWS, 'ExceptionText'),
  }));
}
