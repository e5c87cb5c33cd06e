import { parseNamespace } from './tile-key.js';
import type { VectorTileKeys } from './vector-tile-keys.js';

/** What judging a style's cached images needs of the style (server/styles StyleInfo). */
export interface StyleRevision {
  readonly id: string;
  readonly revision: string;
  readonly sourceTilesets: readonly string[];
}

/** Namespaces of raster tiles start with this (server/render/cached-raster-tiles.ts). */
export const STYLE_NAMESPACE_PREFIX = 'style-';

/**
 * Whether a namespace holds raster tiles that can never be served again. Their keys are
 * `style-{id}/r{revision}+{tileset}-{token}+...` (server/render/cached-raster-tiles.ts): stale
 * when the style has another revision now (the file was edited) or any tileset it draws has
 * another live version or configuration (or data now, where it had none). Namespaces of
 * styles this process does not know, and anything that is not a style's, are not judged: false.
 */
export function isStaleRasterNamespace(
  namespace: string,
  liveVersions: ReadonlyMap<string, number>,
  styles: ReadonlyMap<string, StyleRevision>,
  keys: VectorTileKeys,
): boolean {
  const parts = parseNamespace(namespace);
  if (!parts || !parts.tileset.startsWith(STYLE_NAMESPACE_PREFIX)) return false;
  const style = styles.get(parts.tileset.slice(STYLE_NAMESPACE_PREFIX.length));
  if (!style) return false;
  const [revision, ...members] = parts.versions;
  if (revision !== `r${style.revision}` || members.length !== style.sourceTilesets.length) return true;
  return style.sourceTilesets.some((tilesetId, i) => {
    const member = members[i]!;
    if (!member.startsWith(`${tilesetId}-`)) return true;
    return keys.isStaleToken(tilesetId, member.slice(tilesetId.length + 1), liveVersions) === true;
  });
}
