import { hash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { validateStyleMin, type StyleSpecification } from '@maplibre/maplibre-gl-style-spec';
import type { TilesetConfig } from '../../core/config/schema.js';
import { ConfigError, NotFoundError } from '../../core/errors.js';
import type { Bounds } from '../../core/grid/tile-matrix-set.js';
import type { Logger } from '../../core/logger.js';
import { projectRoot } from '../../core/project-root.js';
import type { TilesetCatalog } from '../sources/tileset-catalog.js';
import { checkStyleForRendering, tilesetOfSource } from './style-sources.js';

/** One style this server offers: as JSON for clients, as raster tiles and WMTS layers. */
export interface StyleInfo {
  /** The file name without `.json`: `landuse` for styles/landuse.json. Used in URLs. */
  readonly id: string;
  /** The style's `name`, else its id. */
  readonly name: string;
  /** The validated style as it is on disk (sources still `planmap://{tileset}`). */
  readonly style: StyleSpecification;
  /** Tileset ids its vector sources use, in source order, each once. */
  readonly sourceTilesets: readonly string[];
  /** Zoom range in which the style has data: the union of its tilesets' ranges. */
  readonly minzoom: number;
  readonly maxzoom: number;
  /** [west, south, east, north] in degrees (EPSG:4490): the union of its tilesets' data, or null when none has data. */
  readonly bounds: Bounds | null;
  /** Content hash of the file: changes whenever the style does (cache keys, ETags). */
  readonly revision: string;
  /** Absolute path of the file the style was read from. */
  readonly file: string;
}

/** What a style file gives once, at start-up: everything of StyleInfo but what the data decides. */
type ParsedStyle = Omit<StyleInfo, 'minzoom' | 'maxzoom' | 'bounds'>;

/**
 * The styles read and checked at start-up. Requests only look things up here. A style's zoom
 * range and bounds come from the data of its tilesets, so they follow the live tileset catalog:
 * after a publish (server/live rebuilds the catalog) the next lookup sees the new extent, and
 * WMTS capabilities and tile limits never refuse tiles of freshly published data.
 */
export class StyleCatalog {
  private derived: { readonly tilesets: TilesetCatalog; readonly styles: ReadonlyMap<string, StyleInfo> } | null = null;

  constructor(
    private readonly parsed: readonly ParsedStyle[],
    private readonly tilesets: () => TilesetCatalog,
    private readonly configured: readonly TilesetConfig[],
  ) {}

  /** Every style, in file-name order. */
  list(): StyleInfo[] {
    return [...this.current().values()];
  }

  /** The style with this id; throws NotFoundError naming the styles there are. */
  get(id: string): StyleInfo {
    const styles = this.current();
    const style = styles.get(id);
    if (!style) {
      throw new NotFoundError(`unknown style "${id.length > 40 ? `${id.slice(0, 40)}…` : id}" (available: ${[...styles.keys()].join(', ') || 'none'})`);
    }
    return style;
  }

  /** Derived once per tileset catalog: a lookup costs a map read between publishes. */
  private current(): ReadonlyMap<string, StyleInfo> {
    const tilesets = this.tilesets();
    if (this.derived?.tilesets !== tilesets) {
      this.derived = { tilesets, styles: new Map(this.parsed.map((style) => [style.id, styleInfo(style, tilesets, this.configured)])) };
    }
    return this.derived.styles;
  }
}

/** The styles the server offers: styles/*.json of the project. */
export const STYLES_DIR = join(projectRoot, 'styles');

/** Style ids are URL path segments and WMTS layer identifiers. */
export const STYLE_ID_PATTERN = /^[a-z][a-z0-9_-]*$/;

/**
 * Reads every `*.json` in `dir` as a MapLibre style (spec v8), validates it with the style
 * spec's own validator and checks that the server can render it and serve its sources. Any
 * problem throws ConfigError naming the file and the error, so the server refuses to start
 * rather than serve a broken map.
 *
 * A source may use a tileset that is configured but not published yet (`configuredTilesets`):
 * the style is served and draws nothing from it until data arrives. A tileset that is neither
 * served nor configured is an error.
 */
export function loadStyleCatalog(
  dir: string,
  tilesets: TilesetCatalog | (() => TilesetCatalog),
  logger: Logger,
  configuredTilesets: readonly TilesetConfig[] = [],
): StyleCatalog {
  const currentTilesets = typeof tilesets === 'function' ? tilesets : () => tilesets;
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    throw new ConfigError(`cannot read the styles folder ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const styles = names.map((name) => loadStyle(join(dir, name), currentTilesets(), configuredTilesets, logger));
  logger.info({ styles: styles.map((style) => style.id) }, 'styles loaded');
  return new StyleCatalog(styles, currentTilesets, configuredTilesets);
}

function loadStyle(file: string, tilesets: TilesetCatalog, configured: readonly TilesetConfig[], logger: Logger): ParsedStyle {
  const id = basename(file, '.json');
  const fail = (problem: string): never => {
    throw new ConfigError(`style ${file}: ${problem}`);
  };
  if (!STYLE_ID_PATTERN.test(id)) fail(`the file name "${id}" is not a style id (lower case [a-z0-9_-], starting with a letter)`);
  const text = readFileSync(file, 'utf8');
  let style: StyleSpecification;
  try {
    style = JSON.parse(text) as StyleSpecification;
  } catch (error) {
    return fail(`not valid JSON: ${(error as Error).message}`);
  }
  const errors = validateStyleMin(style);
  if (errors.length > 0) fail(errors.map((error) => error.message).join('; '));
  const problems = checkStyleForRendering(style);
  if (problems.length > 0) fail(problems.join('; '));

  const served = new Map(tilesets.list().map((layer) => [layer.id, layer.info]));
  const configuredById = new Map(configured.map((tileset) => [tileset.id, tileset]));
  const sourceTilesets: string[] = [];
  for (const [sourceId, source] of Object.entries(style.sources)) {
    const tilesetId = tilesetOfSource(source);
    if (tilesetId === null) continue;
    const info = served.get(tilesetId);
    const config = configuredById.get(tilesetId);
    if (!info && !config) {
      fail(`source "${sourceId}" uses tileset "${tilesetId}", which is not configured (tilesets: ${[...new Set([...served.keys(), ...configuredById.keys()])].join(', ') || 'none'})`);
    }
    if (!info) logger.warn({ style: id, tileset: tilesetId }, 'style source has no published data yet: it draws nothing until a publish');
    // A tileset's tiles hold one MVT layer named after the tileset (server/sources/mvt-query.ts).
    for (const layer of style.layers) {
      if ('source' in layer && layer.source === sourceId && layer['source-layer'] !== tilesetId) {
        fail(`layer "${layer.id}": source-layer "${layer['source-layer'] ?? ''}" is not a layer of tileset "${tilesetId}" (its only layer is "${tilesetId}")`);
      }
    }
    if (!sourceTilesets.includes(tilesetId)) sourceTilesets.push(tilesetId);
  }
  if (sourceTilesets.length === 0) fail('no vector source uses a tileset of this server ("url": "planmap://{tileset}")');
  return {
    id,
    name: typeof style.name === 'string' && style.name !== '' ? style.name : id,
    style,
    sourceTilesets,
    revision: hash('sha256', text, 'base64url').slice(0, 16),
    file,
  };
}

/** A style's data-derived parts (zoom range, bounds) from the tilesets as they are now. */
function styleInfo(parsed: ParsedStyle, tilesets: TilesetCatalog, configured: readonly TilesetConfig[]): StyleInfo {
  const served = new Map(tilesets.list().map((layer) => [layer.id, layer.info]));
  const ranges: { minzoom: number; maxzoom: number }[] = [];
  const allBounds: Bounds[] = [];
  for (const tilesetId of parsed.sourceTilesets) {
    const info = served.get(tilesetId);
    const config = configured.find((tileset) => tileset.id === tilesetId);
    // loadStyle made sure each is served or configured; a tileset can only leave the catalog with
    // the configuration that declared it, which needs a restart.
    const range = info ?? config;
    if (range) ranges.push({ minzoom: range.minzoom, maxzoom: range.maxzoom });
    if (info?.bounds) allBounds.push(info.bounds);
  }
  return {
    ...parsed,
    minzoom: ranges.length > 0 ? Math.min(...ranges.map((range) => range.minzoom)) : 0,
    maxzoom: ranges.length > 0 ? Math.max(...ranges.map((range) => range.maxzoom)) : 0,
    bounds: unionBounds(allBounds),
  };
}

function unionBounds(all: readonly Bounds[]): Bounds | null {
  if (all.length === 0) return null;
  return [
    Math.min(...all.map((b) => b[0])),
    Math.min(...all.map((b) => b[1])),
    Math.max(...all.map((b) => b[2])),
    Math.max(...all.map((b) => b[3])),
  ];
}
