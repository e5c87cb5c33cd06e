import { createReadStream } from 'node:fs';
import { ImportError } from '../../../core/errors.js';

/**
 * The first, cheap pass over a GeoJSON file: a byte scanner that follows only strings and
 * bracket depth, to learn what the top level holds before any feature is parsed.
 *
 * Why a separate pass: RFC 7946 members come in any order, and legacy files often put `crs`
 * after `features`; the FeatureSource must state its CRS when it is opened, without holding
 * the features. Scanning bytes runs at disk speed (a few hundred MB/s), far faster than the
 * token parser of the second pass, and on the way it finds a truncated file or trailing data
 * before the loader has imported anything.
 *
 * It checks structure, not syntax: `{"a" 1}` passes here and fails in the second pass.
 * Only the `type` and `crs` members are kept (parsed with JSON.parse), each up to
 * MAX_MEMBER_BYTES; the features are only counted.
 */
export interface TopLevelScan {
  /** The `type` member's value; undefined when absent. */
  readonly type: unknown;
  /** The `crs` member's value; undefined when absent. */
  readonly crs: unknown;
  /** What the `features` member holds. */
  readonly features: 'array' | 'absent' | 'other';
  /** Complete elements of the features array. */
  readonly featureCount: number;
  /** The first top-level member names, in file order (for messages about non-GeoJSON files). */
  readonly keys: readonly string[];
}

/** A kept member larger than this is refused: a `crs` is a few hundred bytes. */
const MAX_MEMBER_BYTES = 1 << 20;
/** Top-level names longer than this cannot be ones we look for, and are not kept. */
const MAX_KEY_BYTES = 256;
const MAX_KEPT_KEYS = 20;
const READ_CHUNK_BYTES = 1 << 20;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

const FEATURES_ABSENT = 0;
const FEATURES_AWAITED = 1; // after `"features":`, before its value
const FEATURES_OPEN = 2; // inside the array: its elements are at depth 2
const FEATURES_CLOSED = 3;
const FEATURES_OTHER = 4;

const KEPT_MEMBERS = new Set(['type', 'crs']);

/**
 * `onFeature`, when given, receives the bytes of each feature object (1-based index): only
 * used on the error path, to find which feature a syntax error is in (see stream-features).
 */
export async function scanTopLevel(path: string, file: string, onFeature?: FeatureBytesListener): Promise<TopLevelScan> {
  const scanner = new TopLevelScanner(file, onFeature ?? null);
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) {
    scanner.push(chunk as Buffer);
  }
  return scanner.finish();
}

export type FeatureBytesListener = (index: number, bytes: Buffer) => void;

class TopLevelScanner {
  private offset = 0; // bytes before the current chunk
  private depth = 0;
  private isInString = false;
  private isEscaped = false;
  private hasRoot = false;
  private isRootClosed = false;
  private isExpectingKey = false;
  /** Parts of the top-level key being read; null when no key is being read. */
  private keyParts: Buffer[] | null = null;
  private keyBytes = 0;
  private key: string | null = null;
  /** Parts of the kept member value being read; null when none is. */
  private valueParts: Buffer[] | null = null;
  private valueBytes = 0;
  private featuresState = FEATURES_ABSENT;
  private featureCount = 0;
  private readonly members = new Map<string, unknown>();
  private readonly keys: string[] = [];
  private head: Buffer | null = null;
  /** Parts of the feature object being read for onFeature; null when none is. */
  private featureParts: Buffer[] | null = null;

  constructor(
    private readonly file: string,
    private readonly onFeature: FeatureBytesListener | null,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    if (this.offset === 0) {
      this.head = chunk.subarray(0, 64);
      // A UTF-8 byte-order mark (written by some Windows tools) is not JSON; stream-json drops it too.
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) start = 3;
    }
    let keyStart = this.keyParts === null ? -1 : 0;
    let valueStart = this.valueParts === null ? -1 : 0;
    let featureStart = this.featureParts === null ? -1 : 0;

    for (let i = start; i < chunk.length; i++) {
      const byte = chunk[i]!;
      // Inside strings only a quote or a backslash matters: the common case, first.
      if (this.isInString) {
        if (this.isEscaped) this.isEscaped = false;
        else if (byte === BACKSLASH) this.isEscaped = true;
        else if (byte === QUOTE) {
          this.isInString = false;
          if (keyStart >= 0) {
            this.endKey(chunk.subarray(keyStart, i));
            keyStart = -1;
          }
        }
        continue;
      }
      if (byte === SPACE || byte === LF || byte === CR || byte === TAB) continue;
      if (this.depth === 0) this.checkRoot(byte, i);
      if (this.featuresState === FEATURES_AWAITED) this.featuresState = byte === OPEN_BRACKET ? FEATURES_OPEN : FEATURES_OTHER;

      switch (byte) {
        case QUOTE:
          this.isInString = true;
          if (this.depth === 1 && this.isExpectingKey) {
            this.keyParts = [];
            this.keyBytes = 0;
            keyStart = i + 1;
          }
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          this.depth++;
          if (this.depth === 1) this.isExpectingKey = true;
          else if (this.depth === 3 && this.featuresState === FEATURES_OPEN && this.onFeature !== null) {
            this.featureParts = [];
            featureStart = i;
          }
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          if (this.depth === 1 && valueStart >= 0) {
            this.endValue(chunk.subarray(valueStart, i));
            valueStart = -1;
          }
          this.depth--;
          if (this.featuresState === FEATURES_OPEN) {
            if (this.depth === 2) {
              this.featureCount++;
              if (featureStart >= 0) {
                this.featureParts!.push(chunk.subarray(featureStart, i + 1));
                const bytes = Buffer.concat(this.featureParts!);
                this.featureParts = null;
                featureStart = -1;
                this.onFeature!(this.featureCount, bytes);
              }
            } else if (this.depth === 1) this.featuresState = FEATURES_CLOSED;
          }
          if (this.depth === 0) this.isRootClosed = true;
          break;
        case COMMA:
          if (this.depth === 1) {
            if (valueStart >= 0) {
              this.endValue(chunk.subarray(valueStart, i));
              valueStart = -1;
            }
            this.isExpectingKey = true;
          }
          break;
        case COLON:
          if (this.depth === 1 && this.key !== null) {
            if (KEPT_MEMBERS.has(this.key)) {
              this.valueParts = [];
              this.valueBytes = 0;
              valueStart = i + 1;
            } else if (this.key === 'features') {
              this.featuresState = FEATURES_AWAITED;
            }
          }
          break;
      }
    }

    // A key or kept value that goes on into the next chunk.
    if (keyStart >= 0) this.addKeyPart(chunk.subarray(keyStart));
    if (valueStart >= 0) this.addValuePart(chunk.subarray(valueStart));
    if (featureStart >= 0) this.featureParts!.push(chunk.subarray(featureStart));
    this.offset += chunk.length;
  }

  finish(): TopLevelScan {
    if (!this.hasRoot) throw new ImportError({ file: this.file }, 'is empty: a GeoJSON FeatureCollection was expected');
    if (!this.isRootClosed) {
      if (this.featuresState === FEATURES_OPEN) {
        const complete = this.featureCount;
        throw new ImportError(
          { file: this.file, feature: complete + 1 },
          `the file ends in the middle of feature ${complete + 1}: it is truncated ` +
            (complete === 0 ? '(no feature is complete)' : `(the last complete feature is ${complete})`),
        );
      }
      throw new ImportError({ file: this.file }, `the file ends before its JSON object does (after ${this.offset} bytes): it is truncated`);
    }
    const features = this.featuresState === FEATURES_CLOSED ? 'array' : this.featuresState === FEATURES_ABSENT ? 'absent' : 'other';
    return { type: this.members.get('type'), crs: this.members.get('crs'), features, featureCount: this.featureCount, keys: this.keys };
  }

  /** Called at each structural byte at depth 0: the root must be one object, alone. */
  private checkRoot(byte: number, index: number): void {
    if (this.isRootClosed) {
      throw new ImportError({ file: this.file }, `has more data after the end of its JSON object, at byte ${this.offset + index}: not a single JSON document`);
    }
    if (this.hasRoot) return;
    this.hasRoot = true;
    if (byte === OPEN_BRACE) return;
    if (byte === OPEN_BRACKET) throw new ImportError({ file: this.file }, 'holds a JSON array, not a GeoJSON FeatureCollection (an object with "type": "FeatureCollection")');
    const preview = JSON.stringify((this.head ?? Buffer.alloc(0)).toString('utf8').replace(/^\uFEFF/, '').slice(0, 24));
    throw new ImportError({ file: this.file }, `is not JSON, or not a JSON object: it starts with ${preview}`);
  }

  private addKeyPart(part: Buffer): void {
    this.keyBytes += part.length;
    if (this.keyBytes <= MAX_KEY_BYTES) this.keyParts!.push(part);
  }

  private endKey(last: Buffer): void {
    this.addKeyPart(last);
    const raw = Buffer.concat(this.keyParts!);
    const isShort = this.keyBytes <= MAX_KEY_BYTES;
    this.keyParts = null;
    this.isExpectingKey = false;
    let key: string | null = null;
    if (isShort) {
      try {
        key = JSON.parse(`"${raw.toString('utf8')}"`) as string;
      } catch {
        // Not a valid JSON string: the second pass reports it, with the feature it follows.
      }
    }
    this.key = key;
    if (key !== null && this.keys.length < MAX_KEPT_KEYS) this.keys.push(key);
    if ((key === 'features' && this.featuresState !== FEATURES_ABSENT) || (key !== null && KEPT_MEMBERS.has(key) && this.members.has(key))) {
      throw new ImportError({ file: this.file }, `has two "${key}" members: which one holds is ambiguous`);
    }
  }

  private addValuePart(part: Buffer): void {
    this.valueBytes += part.length;
    if (this.valueBytes > MAX_MEMBER_BYTES) {
      throw new ImportError({ file: this.file }, `its "${this.key}" member is larger than ${MAX_MEMBER_BYTES} bytes`);
    }
    this.valueParts!.push(part);
  }

  private endValue(last: Buffer): void {
    this.addValuePart(last);
    const text = Buffer.concat(this.valueParts!).toString('utf8');
    this.valueParts = null;
    const key = this.key!;
    try {
      this.members.set(key, JSON.parse(text));
    } catch (error) {
      throw new ImportError({ file: this.file }, `its "${key}" member is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
}
