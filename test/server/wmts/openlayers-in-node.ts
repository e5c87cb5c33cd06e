import { DOMParser, Node } from '@xmldom/xmldom';

/**
 * OpenLayers' XML formats run on the browser's DOM: a global DOMParser and Node, and the
 * element traversal properties `firstElementChild` / `nextElementSibling`
 * (ol/xml.js parseNode). In Node the DOM comes from @xmldom/xmldom, which lacks the two
 * traversal properties, so they are defined here from the DOM Level 2 ones it has.
 * Call before importing ol/format/WMTSCapabilities.
 */
export function provideDomForOpenLayers(): void {
  const nodePrototype = (Node as unknown as { prototype: object }).prototype;
  if (!Object.getOwnPropertyDescriptor(nodePrototype, 'firstElementChild')) {
    Object.defineProperty(nodePrototype, 'firstElementChild', {
      configurable: true,
      get(this: { firstChild: NodeLike | null }) {
        return nextElement(this.firstChild);
      },
    });
    Object.defineProperty(nodePrototype, 'nextElementSibling', {
      configurable: true,
      get(this: { nextSibling: NodeLike | null }) {
        return nextElement(this.nextSibling);
      },
    });
  }
  Object.assign(globalThis, { DOMParser, Node });
}

interface NodeLike {
  readonly nodeType: number;
  readonly nextSibling: NodeLike | null;
}

const ELEMENT_NODE = 1;

function nextElement(start: NodeLike | null): NodeLike | null {
  let node = start;
  while (node && node.nodeType !== ELEMENT_NODE) node = node.nextSibling;
  return node;
}
