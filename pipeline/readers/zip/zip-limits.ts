/**
 * What a delivered zip may hold. Checked twice: against the sizes its central directory
 * declares, before anything is written, and against the bytes actually inflated, while they
 * are (a crafted zip can declare anything).
 */
export interface ZipLimits {
  /** Most entries (files and folders) in one zip; default 10,000. */
  readonly maxEntries: number;
  /** Most bytes all entries together may inflate to; default 2 GiB. */
  readonly maxTotalBytes: number;
  /**
   * Highest inflated : compressed ratio, for each entry (against its compressed size) and for
   * the whole zip (against the zip file's size, which overlapping entries cannot fake);
   * default 100. Real shapefiles deflate 3:1 to 20:1; a zip bomb 1000:1 and more.
   */
  readonly maxRatio: number;
  /**
   * Entries, and zips, that inflate to fewer bytes than this are not held to maxRatio: small
   * files such as a .cpg or a blank-padded .dbf can compress past 100:1 and harm no one;
   * default 1 MiB.
   */
  readonly ratioGraceBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = Object.freeze({
  maxEntries: 10_000,
  maxTotalBytes: 2 * 1024 ** 3,
  maxRatio: 100,
  ratioGraceBytes: 1024 ** 2,
});

/** The defaults with `overrides` applied, each checked; a bad option is a RangeError naming it. */
export function resolveZipLimits(overrides: Partial<ZipLimits> = {}): ZipLimits {
  const limits = { ...DEFAULT_ZIP_LIMITS, ...dropUndefined(overrides) };
  requireInteger('maxEntries', limits.maxEntries, 1);
  requireInteger('maxTotalBytes', limits.maxTotalBytes, 1);
  requireInteger('ratioGraceBytes', limits.ratioGraceBytes, 0);
  if (!(Number.isFinite(limits.maxRatio) && limits.maxRatio >= 1)) {
    throw new RangeError(`zip limit maxRatio must be a finite number >= 1, got ${limits.maxRatio}`);
  }
  return Object.freeze(limits);
}

function requireInteger(name: keyof ZipLimits, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`zip limit ${name} must be an integer >= ${min}, got ${value}`);
}

function dropUndefined(overrides: Partial<ZipLimits>): Partial<ZipLimits> {
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
}
