/**
 * A tolerant reader of Well-Known Text for coordinate reference systems: WKT1 as GDAL writes
 * it (OGC 01-009), the ESRI dialect of .prj files, and WKT2 (ISO 19162 / OGC 18-010). It only
 * builds the tree; what the tree means is `wkt-crs.ts`'s business.
 *
 * Both bracket styles (`[]` and `()`) are accepted, as the standards allow. ArcGIS may write a
 * horizontal and a vertical CRS side by side (`PROJCS[...],VERTCS[...]`) without a COMPD_CS,
 * so the text is a list of nodes, not one.
 */

export interface WktNode {
  /** The keyword in upper case (`PROJCS`, `PARAMETER`...). */
  readonly keyword: string;
  /** Quoted strings and bare words (`north`, `Cartesian`) are strings; numbers are numbers. */
  readonly args: readonly WktValue[];
}

export type WktValue = string | number | WktNode;

/** Deeper than any CRS definition goes (WKT2 reaches about 6); stops runaway recursion. */
const MAX_DEPTH = 32;

/** Parses WKT text into its top-level nodes; throws an Error saying what is wrong and where. */
export function parseWkt(text: string): WktNode[] {
  const reader = new Reader(text.replace(/^\uFEFF/, ''));
  const nodes: WktNode[] = [];
  reader.skipSpace();
  do {
    nodes.push(reader.node(0));
  } while (reader.accept(','));
  reader.skipSpace();
  if (!reader.isAtEnd()) reader.fail('expected the end of the text');
  return nodes;
}

/** The direct children of `node` that are nodes with one of the keywords (upper case). */
export function childNodes(node: WktNode, ...keywords: string[]): WktNode[] {
  return node.args.filter((arg): arg is WktNode => typeof arg === 'object' && keywords.includes(arg.keyword));
}

/** The first direct child with one of the keywords, or undefined. */
export function childNode(node: WktNode, ...keywords: string[]): WktNode | undefined {
  return childNodes(node, ...keywords)[0];
}

/** The node's name: its first argument when that is a string (every CRS, datum and parameter has one). */
export function nodeName(node: WktNode): string | undefined {
  const first = node.args[0];
  return typeof first === 'string' ? first : undefined;
}

/** The argument at `index` as a number; WKT1 writes authority codes as strings, so "4527" counts. */
export function numberArg(node: WktNode, index: number): number | undefined {
  const value = node.args[index];
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/y;
const KEYWORD = /[A-Za-z_][A-Za-z0-9_]*/y;

class Reader {
  private position = 0;

  constructor(private readonly text: string) {}

  node(depth: number): WktNode {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.skipSpace();
    const keyword = this.match(KEYWORD);
    if (keyword === undefined) this.fail('expected a keyword');
    this.skipSpace();
    const close = this.accept('[') ? ']' : this.accept('(') ? ')' : this.fail(`expected [ after ${keyword}`);
    const args: WktValue[] = [];
    this.skipSpace();
    if (!this.accept(close)) {
      do {
        args.push(this.value(depth));
        this.skipSpace();
      } while (this.accept(','));
      if (!this.accept(close)) this.fail(`expected , or ${close} in ${keyword}`);
    }
    return { keyword: keyword.toUpperCase(), args };
  }

  private value(depth: number): WktValue {
    this.skipSpace();
    const next = this.text[this.position];
    if (next === '"') return this.quoted();
    const number = this.match(NUMBER);
    if (number !== undefined) return Number(number);
    const start = this.position;
    const word = this.match(KEYWORD);
    if (word === undefined) this.fail('expected a value');
    this.skipSpace();
    const following = this.text[this.position];
    if (following === '[' || following === '(') {
      this.position = start;
      return this.node(depth + 1);
    }
    return word;
  }

  /** A quoted string; WKT2 escapes a quote by doubling it (ISO 19162 §6.3.4). */
  private quoted(): string {
    let result = '';
    this.position++;
    for (;;) {
      const end = this.text.indexOf('"', this.position);
      if (end < 0) this.fail('unterminated string');
      result += this.text.slice(this.position, end);
      this.position = end + 1;
      if (this.text[this.position] !== '"') return result;
      result += '"';
      this.position++;
    }
  }

  accept(char: string): boolean {
    this.skipSpace();
    if (this.text[this.position] !== char) return false;
    this.position++;
    return true;
  }

  skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position]!)) this.position++;
  }

  isAtEnd(): boolean {
    return this.position >= this.text.length;
  }

  private match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.position;
    const found = pattern.exec(this.text);
    if (!found) return undefined;
    this.position = pattern.lastIndex;
    return found[0];
  }

  fail(problem: string): never {
    const near = this.text.slice(this.position, this.position + 20);
    throw new Error(`${problem} at character ${this.position + 1}${near ? ` (near "${near}")` : ''}`);
  }
}
