import { WebMercatorQuad, tileMatrixSets } from '../../core/grid/tile-matrix-set.js';
import type { TileLayerInfo } from '../sources/tile-source.js';

/** TileJSON 3.0.0 (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0). */
export interface TileJson {
  tilejson: '3.0.0';
  name: string;
  description: string;
  version: string;
  scheme: 'xyz';
  tiles: string[];
  minzoom: number;
  maxzoom: number;
  bounds: [number, number, number, number];
  center: [number, number, number];
  vector_layers: { id: string; description: string; minzoom: number; maxzoom: number; fields: Record<string, string> }[];
  /** Not in the spec: URL templates of the same tiles in every tile matrix set. */
  tile_matrix_sets: Record<string, string>;
}

const WORLD: [number, number, number, number] = [-180, -85.0511287798066, 180, 85.0511287798066];

/** TileJSON of a tileset (one layer or a composite), with absolute tile URLs under `baseUrl`. */
export function buildTileJson(baseUrl: string, tilesetId: string, layers: readonly TileLayerInfo[]): TileJson {
  const minzoom = Math.min(...layers.map((layer) => layer.minzoom));
  const maxzoom = Math.max(...layers.map((layer) => layer.maxzoom));
  const bounds = unionBounds(layers) ?? WORLD;
  const path = `${baseUrl}/tiles/${tilesetId}`;
  return {
    tilejson: '3.0.0',
    name: layers.map((layer) => layer.title).join(', '),
    description: layers.map((layer) => layer.description).filter(Boolean).join(' / '),
    // Data versions of the members: changes with every publish, so clients can tell.
    version: `1.0.${layers.map((layer) => layer.dataVersion).join('')}`,
    scheme: 'xyz',
    tiles: [`${path}/{z}/{x}/{y}.mvt`],
    minzoom,
    maxzoom,
    bounds,
    center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, Math.max(minzoom, Math.min(maxzoom, 10))],
    vector_layers: layers.map((layer) => ({
      id: layer.id,
      description: layer.description,
      minzoom: layer.minzoom,
      maxzoom: layer.maxzoom,
      fields: { ...layer.fields },
    })),
    tile_matrix_sets: Object.fromEntries(
      [...tileMatrixSets.keys()].map((id) => [id, id === WebMercatorQuad.id ? `${path}/{z}/{x}/{y}.mvt` : `${path}/${id}/{z}/{x}/{y}.mvt`]),
    ),
  };
}

function unionBounds(layers: readonly TileLayerInfo[]): [number, number, number, number] | null {
  const all = layers.flatMap((layer) => (layer.bounds ? [layer.bounds] : []));
  if (all.length === 0) return null;
  return [
    Math.min(...all.map((b) => b[0])),
    Math.min(...all.map((b) => b[1])),
    Math.max(...all.map((b) => b[2])),
    Math.max(...all.map((b) => b[3])),
  ];
}
