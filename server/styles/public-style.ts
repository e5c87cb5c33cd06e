import type { SourceSpecification, StyleSpecification, VectorSourceSpecification } from '@maplibre/maplibre-gl-style-spec';
import type { TileLayerInfo } from '../sources/tile-source.js';
import type { StyleInfo } from './style-catalog.js';
import { tilesetOfSource } from './style-sources.js';

/** What the rewriting needs to know of a tileset: served ones have their info, others only a zoom range. */
export type TilesetLookup = (tilesetId: string) => Pick<TileLayerInfo, 'minzoom' | 'maxzoom'> & { bounds?: TileLayerInfo['bounds'] };

/**
 * The style as clients get it from `GET /styles/{style}/style.json`: every `planmap://{tileset}`
 * source becomes a vector source with this server's absolute tile URL template, zoom range and
 * bounds, so MapLibre needs no further request to find the tiles. Nothing else changes.
 */
export function publicStyle(info: StyleInfo, baseUrl: string, lookup: TilesetLookup): StyleSpecification {
  const sources: Record<string, SourceSpecification> = {};
  for (const [id, source] of Object.entries(info.style.sources)) {
    const tilesetId = tilesetOfSource(source);
    if (tilesetId === null) {
      sources[id] = source;
      continue;
    }
    const tileset = lookup(tilesetId);
    const vector: VectorSourceSpecification = {
      type: 'vector',
      tiles: [`${baseUrl}/tiles/${tilesetId}/{z}/{x}/{y}.mvt`],
      minzoom: tileset.minzoom,
      maxzoom: tileset.maxzoom,
    };
    if (tileset.bounds) vector.bounds = [...tileset.bounds] as [number, number, number, number];
    sources[id] = vector;
  }
  const style: StyleSpecification = { ...info.style, sources };
  style.metadata = { ...(info.style.metadata as Record<string, unknown> | undefined), 'planmap:revision': info.revision };
  if (style.center === undefined && info.bounds) {
    const [west, south, east, north] = info.bounds;
    style.center = [(west + east) / 2, (south + north) / 2];
    style.zoom ??= Math.max(info.minzoom, 8);
  }
  return style;
}
