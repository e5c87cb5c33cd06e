import Database from 'better-sqlite3';
import type { Bounds } from '../../core/grid/tile-matrix-set.js';
import type { TileLayerInfo } from '../sources/tile-source.js';

/** The metadata of an MBTiles 1.3 package (https://github.com/mapbox/mbtiles-spec/blob/master/1.3/spec.md). */
export interface MbtilesMetadata {
  readonly name: string;
  readonly format: 'pbf' | 'png' | 'webp' | 'jpg';
  /** [west, south, east, north] in WGS 84 degrees. */
  readonly bounds: Bounds;
  /** [longitude, latitude, zoom]: where a client opens the map. */
  readonly center: readonly [number, number, number];
  readonly minzoom: number;
  readonly maxzoom: number;
  readonly type: 'overlay' | 'baselayer';
  /** The tileset's own revision (the data version), a number as 1.3 says. */
  readonly version: number;
  readonly description: string;
  readonly attribution: string;
  /** Vector packages: the layers, for `json` → `vector_layers` (required for pbf). */
  readonly vectorLayers?: readonly TileLayerInfo[];
}

/**
 * Writes an MBTiles 1.3 file: `metadata(name, value)` and `tiles(zoom_level, tile_column,
 * tile_row, tile_data)` with the spec's unique index. Rows are TMS: `tile_row` counts from the
 * south, so the XYZ row y is stored as 2^z - 1 - y. Vector tiles must be gzip-compressed
 * (the caller gives them so). The file is written without a journal and synchronous writes
 * (a package that fails half way is deleted, never used), in one transaction per batch.
 */
export class MbtilesWriter {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[number, number, number, Buffer]>;
  private pending: [number, number, number, Buffer][] = [];
  private readonly flushBatch: (rows: [number, number, number, Buffer][]) => void;
  tileCount = 0;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.exec(`
      CREATE TABLE metadata (name text, value text);
      CREATE UNIQUE INDEX metadata_name ON metadata (name);
      CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);
      CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
    `);
    this.insert = this.db.prepare('INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)');
    this.flushBatch = this.db.transaction((rows: [number, number, number, Buffer][]) => {
      for (const row of rows) this.insert.run(...row);
    });
  }

  /** Adds one tile given in XYZ (Web Mercator, row 0 at the north). */
  addTile(z: number, x: number, y: number, data: Buffer): void {
    this.pending.push([z, x, 2 ** z - 1 - y, data]);
    this.tileCount++;
    if (this.pending.length >= 256) this.flush();
  }

  writeMetadata(metadata: MbtilesMetadata): void {
    const rows: [string, string][] = [
      ['name', metadata.name],
      ['format', metadata.format],
      ['bounds', metadata.bounds.map(roundDegrees).join(',')],
      ['center', `${roundDegrees(metadata.center[0])},${roundDegrees(metadata.center[1])},${metadata.center[2]}`],
      ['minzoom', String(metadata.minzoom)],
      ['maxzoom', String(metadata.maxzoom)],
      ['type', metadata.type],
      ['version', String(metadata.version)],
      ['description', metadata.description],
      ['attribution', metadata.attribution],
    ];
    if (metadata.format === 'pbf') {
      const vectorLayers = (metadata.vectorLayers ?? []).map((layer) => ({
        id: layer.id,
        description: layer.description,
        minzoom: Math.max(layer.minzoom, metadata.minzoom),
        maxzoom: Math.min(layer.maxzoom, metadata.maxzoom),
        fields: layer.fields,
      }));
      rows.push(['json', JSON.stringify({ vector_layers: vectorLayers })]);
    }
    const insert = this.db.prepare('INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)');
    this.db.transaction(() => rows.forEach((row) => insert.run(...row)))();
  }

  /** Writes what is pending and closes the file. */
  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }

  /** Closes without writing what is pending (the file is about to be deleted). */
  discard(): void {
    this.pending = [];
    if (this.db.open) this.db.close();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.flushBatch(rows);
  }
}

/** Degrees to 7 decimals (about 1 cm): no float noise in the metadata. */
function roundDegrees(value: number): number {
  return Math.round(value * 1e7) / 1e7;
}
