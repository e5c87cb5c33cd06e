import { gunzipSync } from 'node:zlib';
import { VectorTile, type VectorTileLayer } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';

export interface DecodedFeature {
  readonly id: number | undefined;
  readonly type: number;
  readonly properties: Record<string, number | string | boolean>;
  /** Rings (or lines) in tile coordinates. */
  readonly geometry: { x: number; y: number }[][];
}

export interface DecodedLayer {
  readonly name: string;
  readonly extent: number;
  readonly features: DecodedFeature[];
}

/** Decodes an MVT (gzipped or not) into plain objects, layer by layer. */
export function decodeTile(body: Buffer): Map<string, DecodedLayer> {
  const raw = body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body;
  const tile = new VectorTile(new PbfReader(raw));
  const layers = new Map<string, DecodedLayer>();
  for (const [name, layer] of Object.entries(tile.layers) as [string, VectorTileLayer][]) {
    const features: DecodedFeature[] = [];
    for (let i = 0; i < layer.length; i++) {
      const feature = layer.feature(i);
      features.push({
        id: feature.id,
        type: feature.type,
        properties: feature.properties,
        geometry: feature.loadGeometry().map((ring) => ring.map((point) => ({ x: point.x, y: point.y }))),
      });
    }
    layers.set(name, { name, extent: layer.extent, features });
  }
  return layers;
}

/** Signed shoelace area of a ring in tile units² (MVT exterior rings are positive: y points down). */
export function ringArea(ring: readonly { x: number; y: number }[]): number {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    sum += (ring[j]!.x - ring[i]!.x) * (ring[i]!.y + ring[j]!.y);
  }
  return sum / 2;
}
