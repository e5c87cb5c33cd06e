import { createReadStream } from 'node:fs';
import { addAbortSignal } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { getManyValues, isMany, none } from 'stream-chain/defs.js';
import { Assembler } from 'stream-json/assembler.js';
import { jsonParser, type Token } from 'stream-json/parser.js';
import { ImportError } from '../../../core/errors.js';
import { scanTopLevel } from './scan-top-level.js';

/** Bytes read from disk at a time; measured on 100 MB: 2.7 s at 64 KiB, 3.8 s at 1 MiB. */
const READ_CHUNK_BYTES = 1 << 16;
/** The top-level object is depth 1; the features array's elements start at depth 2. */
const TOP_LEVEL_DEPTH = 1;

export interface ParsedFeature {
  /** 1-based position in the features array. */
  readonly index: number;
  /** The element as parsed, not yet checked. */
  readonly value: unknown;
}

/**
 * The elements of the top-level `features` array, one at a time, parsed by stream-json:
 * memory holds one feature (and a read chunk), whatever the file's size.
 *
 * stream-json's own pipeline (parser → pick → streamArray, chained by stream-chain) passes
 * every token through generic stage machinery, which took two thirds of the time. Here its
 * tokenizer (`jsonParser`, packed keys, strings and numbers) and its Assembler are driven
 * directly, and the path to `features` is followed with a depth counter: 2–3× faster.
 *
 * Aborting `signal` destroys the file stream and rejects with the signal's reason.
 */
export async function* streamFeatures(path: string, file: string, signal?: AbortSignal): AsyncGenerator<ParsedFeature> {
  const input = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  if (signal) addAbortSignal(signal, input);
  // A flushable stage: text in, tokens out; called with `none` at the end of input.
  const tokenize = jsonParser({ streamValues: false }) as unknown as (text: string | typeof none) => unknown;
  const decoder = new StringDecoder('utf8');
  const walker = new FeaturesWalker();
  let count = 0;
  let isFirst = true;
  try {
    for await (const chunk of input) {
      let text = decoder.write(chunk as Buffer);
      // A UTF-8 byte-order mark is not JSON (RFC 8259 §8.1 lets parsers ignore it).
      if (isFirst && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      isFirst = false;
      for (const value of walker.walk(tokensOf(tokenize(text)))) yield { index: ++count, value };
    }
    const rest = decoder.end();
    if (rest !== '') for (const value of walker.walk(tokensOf(tokenize(rest)))) yield { index: ++count, value };
    // The end of input: throws if the document is incomplete.
    for (const value of walker.walk(tokensOf(tokenize(none)))) yield { index: ++count, value };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    // ImportErrors, and failures to read the file (ENOENT, EIO...), which are not the delivery's.
    if (error instanceof ImportError || typeof (error as { code?: unknown }).code === 'string') throw error;
    // The tokenizer reports no position, and fails a whole read chunk before any feature in
    // it is yielded: find the feature again, with JSON.parse's own message.
    const located = await locateSyntaxError(path, file);
    if (located !== null) throw new ImportError({ file, feature: located.index }, `is not valid JSON: ${located.message}`, { cause: error });
    const problem = (error as Error).message;
    throw new ImportError({ file }, `is not valid JSON (between features, or in a member other than "features"): ${problem}`, { cause: error });
  } finally {
    input.destroy();
  }
}

function tokensOf(result: unknown): readonly Token[] {
  return result === none ? [] : isMany(result) ? getManyValues(result as never) : [result as Token];
}

/** Follows the tokens of the whole document and assembles the elements of its top-level `features` array. */
class FeaturesWalker {
  private depth = 0;
  private key: string | null = null;
  private isInFeatures = false;
  private readonly assembler = new Assembler();

  *walk(tokens: readonly Token[]): Generator<unknown> {
    const assembler = this.assembler;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (this.isInFeatures) {
        // Between elements (assembler done), an endArray closes the features array itself.
        if (assembler.done && token.name === 'endArray') {
          this.isInFeatures = false;
          this.depth--;
          continue;
        }
        assembler.consume(token);
        if (assembler.done) yield assembler.current;
        continue;
      }
      switch (token.name) {
        case 'startArray':
          if (this.depth === TOP_LEVEL_DEPTH && this.key === 'features') this.isInFeatures = true;
          this.depth++;
          break;
        case 'startObject':
          this.depth++;
          break;
        case 'endObject':
        case 'endArray':
          this.depth--;
          break;
        case 'keyValue':
          if (this.depth === TOP_LEVEL_DEPTH) this.key = token.value;
          break;
      }
    }
  }
}

/** The first feature object that JSON.parse refuses, found by scanning the file again. */
async function locateSyntaxError(path: string, file: string): Promise<{ index: number; message: string } | null> {
  let located: { index: number; message: string } | null = null;
  const found = new Error('located');
  try {
    await scanTopLevel(path, file, (index, bytes) => {
      try {
        JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        located = { index, message: (error as Error).message };
        throw found;
      }
    });
  } catch (error) {
    if (error !== found) throw error;
  }
  return located;
}
