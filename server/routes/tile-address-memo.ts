import type { TilesetCatalog } from '../sources/tileset-catalog.js';

/**
 * Paths that took a path through the fast path before, per catalog. A repeated tile, which is
 * the tile cache's whole business, then costs one Map lookup instead of parsing its path,
 * finding its plan and building its key again. Keyed by the catalog itself: the catalog
 * rebuilt after a publish or rollback starts empty, so no memo outlives the versions its key
 * names. Only what `learn` accepts is kept (the caller decides: tiles it can answer, never
 * arbitrary request text that led nowhere); past `maxEntries` the memo starts afresh.
 */
export class TileAddressMemo<Address> {
  private readonly byCatalog = new WeakMap<TilesetCatalog, Map<string, Address>>();

  constructor(private readonly maxEntries: number) {}

  /** The address remembered for `path`, else what `learn` makes of it (kept unless null). */
  lookup(catalog: TilesetCatalog, path: string, learn: (path: string) => Address | null): Address | null {
    let memo = this.byCatalog.get(catalog);
    if (!memo) {
      memo = new Map();
      this.byCatalog.set(catalog, memo);
    }
    const known = memo.get(path);
    if (known !== undefined) return known;
    const learned = learn(path);
    if (learned !== null) {
      if (memo.size >= this.maxEntries) memo.clear();
      memo.set(path, learned);
    }
    return learned;
  }
}
