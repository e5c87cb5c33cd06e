import type { Geometry, Position } from 'geojson';
import GeoJSONVT, { type LegacyFeature, type LegacyTile } from 'geojson-vt';
import { fromGeojsonVt } from 'vt-pbf';

/** One feature as the Node MVT statement returns it: tile-space GeoJSON and the properties. */
export interface TileSpaceFeature {
  readonly id: number;
  readonly geometry: Geometry;
  readonly properties: Readonly<Record<string, string | number | boolean | null>>;
}

export interface LayerEncoding {
  readonly name: string;
  readonly extent: number;
  readonly buffer: number;
}

/*
 * geojson-vt cuts tiles out of a lon/lat world in Web Mercator. Our features are already in the
 * requested tile's own space (any grid, CGCS2000Quad included), so they are placed into one
 * fixed geojson-vt tile: z2/1/1, away from the world's edges (so its buffer never wraps around
 * the antimeridian), by the inverse of geojson-vt's projection. At its maxZoom geojson-vt keeps
 * every vertex (no simplification), snaps to the integer grid, clips to the buffer, closes and
 * orients rings as the MVT spec wants; vt-pbf writes the protobuf.
 */
const HOST_ZOOM = 2;
const HOST_X = 1;
const HOST_Y = 1;
const HOST_TILES = 1 << HOST_ZOOM;

/**
 * Encodes one layer of one tile. Returns null when no feature keeps a geometry (the caller
 * answers 204, as for an empty ST_AsMVT).
 */
export function encodeLayer(features: readonly TileSpaceFeature[], layer: LayerEncoding): Buffer | null {
  if (features.length === 0) return null;
  const toLonLat = (position: Position): Position => {
    const u = (HOST_X + position[0]! / layer.extent) / HOST_TILES;
    const v = (HOST_Y + position[1]! / layer.extent) / HOST_TILES;
    return [u * 360 - 180, (360 / Math.PI) * Math.atan(Math.exp(Math.PI * (1 - 2 * v))) - 90];
  };
  const index = new GeoJSONVT(
    {
      type: 'FeatureCollection',
      features: features.map((feature) => ({
        type: 'Feature',
        id: feature.id,
        geometry: mapPositions(feature.geometry, toLonLat),
        properties: { ...feature.properties },
      })),
    },
    { maxZoom: HOST_ZOOM, indexMaxZoom: 0, tolerance: 0, extent: layer.extent, buffer: layer.buffer },
  );
  const tile = index.getTile(HOST_ZOOM, HOST_X, HOST_Y);
  const kept = tile ? tile.features.flatMap((feature) => withoutDegenerateParts(feature)) : [];
  if (kept.length === 0) return null;
  const layers: Record<string, LegacyTile> = { [layer.name]: { features: kept } };
  const bytes = fromGeojsonVt(layers, { version: 2, extent: layer.extent });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function mapPositions(geometry: Geometry, map: (position: Position) => Position): Geometry {
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: map(geometry.coordinates) };
    case 'MultiPoint':
    case 'LineString':
      return { type: geometry.type, coordinates: geometry.coordinates.map(map) };
    case 'MultiLineString':
    case 'Polygon':
      return { type: geometry.type, coordinates: geometry.coordinates.map((line) => line.map(map)) };
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: geometry.coordinates.map((polygon) => polygon.map((ring) => ring.map(map))) };
    case 'GeometryCollection':
      return { type: 'GeometryCollection', geometries: geometry.geometries.map((part) => mapPositions(part, map)) };
  }
}

/**
 * ST_AsMVTGeom drops what snapping to the integer grid collapsed (a sliver narrower than a tile
 * unit, a line shorter than one); geojson-vt keeps it at its maxZoom. The same rule here: rings
 * of zero area and lines of zero length go, and so does a feature left with nothing.
 */
function withoutDegenerateParts(feature: LegacyFeature): LegacyFeature[] {
  if (feature.type === 1) return feature.geometry.length > 0 ? [feature] : [];
  const parts = feature.type === 3
    ? feature.geometry.filter((ring) => ringArea(ring) !== 0)
    : feature.geometry.filter((line) => line.some(([x, y]) => x !== line[0]![0] || y !== line[0]![1]));
  if (parts.length === 0) return [];
  return [{ ...feature, geometry: parts }];
}

function ringArea(ring: readonly (readonly [number, number])[]): number {
  let twiceArea = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    twiceArea += (ring[j]![0] - ring[i]![0]) * (ring[j]![1] + ring[i]![1]);
  }
  return twiceArea / 2;
}
