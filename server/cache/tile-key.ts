/**
 * Cache keys of tiles. A key names everything a tile's bytes depend on: what is tiled (a
 * tileset, several joined by `,`, or a style), the version of each thing that can change
 * (each dataset's live version, a style revision), the grid, z/x/y, the format and the scale.
 * A publish changes a version, so every new request gets a new key and no stale tile is
 * reachable; old entries are swept later (cache-sweeper.ts).
 *
 * The key is also a path: `{tileset}/{versions}/{grid}/{z}/{x}/{y}.{format}[@{scale}x]`. The
 * first two segments are the key's namespace, which the sweep removes as a whole. Every part
 * is checked against a safe alphabet, so a key is a safe file path and Redis key.
 */

export interface TileKeyParts {
  /** A tileset id, several joined by `,` (a composite tile), or a style id. */
  readonly tileset: string;
  /**
   * One token per thing the tile depends on that can change, in a fixed order: for vector
   * tiles one per member tileset (`v3-1a2b3c4d`: dataset version and configuration hash, see
   * vector-tile-keys.ts); a raster tile adds its style revision. Joined by `+` in the key.
   */
  readonly versions: readonly string[];
  /** Tile matrix set id (`WebMercatorQuad`). */
  readonly grid: string;
  readonly z: number;
  readonly x: number;
  readonly y: number;
  /** `mvt`, `png`, `webp`, `jpg`. */
  readonly format: string;
  /** 1 for vector tiles and 256 px rasters, 2 for `@2x`. */
  readonly scale: number;
}

export interface TileKey extends TileKeyParts {
  /** The whole key, unique per tile representation. */
  readonly id: string;
  /** `{tileset}/{versions}`: every tile of one tileset at one set of versions. */
  readonly namespace: string;
}

/**
 * Ids and version tokens: letters, digits and `_ , . ~ -` (no `/`, `+`, `:`, `*` or spaces),
 * not starting with `.`, so no token is `..` or a hidden file.
 */
const TOKEN_PATTERN = /^[A-Za-z0-9_,~-][A-Za-z0-9_,.~-]{0,199}$/;
const FORMAT_PATTERN = /^[a-z0-9]{1,8}$/;

/** Builds a key; throws on parts outside the safe alphabet (a programming error, never request text). */
export function buildTileKey(parts: TileKeyParts): TileKey {
  const namespace = buildNamespace(parts.tileset, parts.versions);
  checkToken('grid', parts.grid);
  if (!FORMAT_PATTERN.test(parts.format)) throw new Error(`tile key format "${parts.format}" is not [a-z0-9]{1,8}`);
  for (const [name, value] of [['z', parts.z], ['x', parts.x], ['y', parts.y]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`tile key ${name} ${value} is not a non-negative integer`);
  }
  if (!Number.isInteger(parts.scale) || parts.scale < 1 || parts.scale > 4) throw new Error(`tile key scale ${parts.scale} is not 1 to 4`);
  return { ...parts, versions: [...parts.versions], id: tileKeyId(namespace, parts), namespace };
}

/**
 * The namespace (`{tileset}/{versions}`) of every tile of a tileset at these versions, checked
 * as `buildTileKey` checks it; throws on a part outside the safe alphabet.
 */
export function buildNamespace(tileset: string, versions: readonly string[]): string {
  checkToken('tileset', tileset);
  if (versions.length === 0) throw new Error('a tile key needs at least one version token');
  for (const version of versions) checkToken('version', version);
  return `${tileset}/${versions.join('+')}`;
}

/**
 * The id of a tile in a namespace that `buildTileKey` made (and checked). The hot path of
 * cached tiles builds only this string: the namespace is made once per tileset and catalog.
 */
export function tileKeyId(namespace: string, parts: Pick<TileKeyParts, 'grid' | 'z' | 'x' | 'y' | 'format' | 'scale'>): string {
  const suffix = parts.scale === 1 ? '' : `@${parts.scale}x`;
  return `${namespace}/${parts.grid}/${parts.z}/${parts.x}/${parts.y}.${parts.format}${suffix}`;
}

/** The inverse of `buildTileKey(...).id`; null for anything that is not such a key. */
export function parseTileKey(id: string): TileKey | null {
  const match = /^([^/]+)\/([^/]+)\/([^/]+)\/(\d+)\/(\d+)\/(\d+)\.([a-z0-9]+)(?:@(\d)x)?$/.exec(id);
  if (!match) return null;
  const [, tileset, versions, grid, z, x, y, format, scale] = match as unknown as [string, string, string, string, string, string, string, string, string | undefined];
  try {
    return buildTileKey({
      tileset,
      versions: versions.split('+'),
      grid,
      z: Number(z),
      x: Number(x),
      y: Number(y),
      format,
      scale: scale === undefined ? 1 : Number(scale),
    });
  } catch {
    return null;
  }
}

/** The parts of a namespace (`{tileset}/{versions}`), or null when it is not one. */
export function parseNamespace(namespace: string): { tileset: string; versions: string[] } | null {
  const slash = namespace.indexOf('/');
  if (slash < 0) return null;
  const tileset = namespace.slice(0, slash);
  const versions = namespace.slice(slash + 1).split('+');
  if (!TOKEN_PATTERN.test(tileset) || !versions.every((version) => TOKEN_PATTERN.test(version))) return null;
  return { tileset, versions };
}

function checkToken(name: string, value: string): void {
  if (!TOKEN_PATTERN.test(value)) throw new Error(`tile key ${name} "${value.slice(0, 60)}" is not 1 to 200 of [A-Za-z0-9_,.~-] (not starting with .)`);
}
