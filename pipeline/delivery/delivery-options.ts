import { ConfigError } from '../../core/errors.js';
import { LAYER_KEYS, type LayerKey } from './delivery-layers.js';

/** What a sample delivery holds; checked by parseDeliveryOptions before any work starts. */
export interface DeliveryOptions {
  /** Folder the county folders are written to (created when missing; files of the same name are replaced). */
  readonly outDir: string;
  /** About this many 三调 parcels in all eight counties, MIN_PARCELS–MAX_PARCELS. */
  readonly parcels: number;
  /** Seed of the deterministic generator: the same seed and size give byte-identical files. */
  readonly seed: string;
  /** shapefile: GBK Shapefiles in the zone; geojson: RFC 7946 GeoJSON (and the legacy-crs variant); all: both. */
  readonly format: DeliveryFormat;
  /** Layers written; the planning layers are derived from the parcels whether DLTB is written or not. */
  readonly layers: readonly LayerKey[];
}

export type DeliveryFormat = 'shapefile' | 'geojson' | 'all';

export const MIN_PARCELS = 1000;
export const MAX_PARCELS = 1_000_000;
export const DEFAULT_SEED = 'liaocheng';
const FORMATS: readonly DeliveryFormat[] = ['shapefile', 'geojson', 'all'];

/** Options as given on the command line (strings, absent when not given). */
export interface RawDeliveryOptions {
  readonly out?: string;
  readonly parcels?: string;
  readonly seed?: string;
  readonly format?: string;
  readonly layers?: string;
}

/** Checks every option, throwing a ConfigError that names the option and what it accepts. */
export function parseDeliveryOptions(raw: RawDeliveryOptions): DeliveryOptions {
  if (!raw.out) throw new ConfigError('--out: the folder to write the delivery to is required');
  if (raw.parcels === undefined) throw new ConfigError(`--parcels: required, a whole number between ${MIN_PARCELS} and ${MAX_PARCELS}`);
  const parcels = Number(raw.parcels);
  if (!/^\d+$/.test(raw.parcels) || parcels < MIN_PARCELS || parcels > MAX_PARCELS) {
    throw new ConfigError(`--parcels: "${raw.parcels}" is not a whole number between ${MIN_PARCELS} and ${MAX_PARCELS}`);
  }
  const format = raw.format ?? 'shapefile';
  if (!FORMATS.includes(format as DeliveryFormat)) throw new ConfigError(`--format: "${format}" is not one of ${FORMATS.join(', ')}`);
  const seed = raw.seed ?? DEFAULT_SEED;
  if (seed === '') throw new ConfigError('--seed: must not be empty');
  return { outDir: raw.out, parcels, seed, format: format as DeliveryFormat, layers: parseLayers(raw.layers) };
}

function parseLayers(value: string | undefined): LayerKey[] {
  if (value === undefined) return [...LAYER_KEYS];
  const keys = value.split(',').map((key) => key.trim().toLowerCase()).filter((key) => key !== '');
  const unknown = keys.filter((key) => !LAYER_KEYS.includes(key as LayerKey));
  if (keys.length === 0 || unknown.length > 0) {
    throw new ConfigError(`--layers: ${unknown.length > 0 ? `"${unknown.join(', ')}" is not one of` : 'name at least one of'} ${LAYER_KEYS.join(', ')}`);
  }
  // File order, not the order given, so that the same set always writes the same way.
  return LAYER_KEYS.filter((key) => keys.includes(key));
}
