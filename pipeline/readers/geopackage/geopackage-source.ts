import type { Database, Statement } from 'better-sqlite3';
import { ImportError } from '../../../core/errors.js';
import type { AttributeValue, CrsHint, FeatureSource, FieldInfo, SourceFeature } from '../feature-source.js';
import { readColumnValue } from './column-values.js';
import { decodeGeometryBlob } from './geometry-blob.js';
import type { GeometryColumn } from './geometry-column.js';
import { quoteIdentifier } from './sqlite-schema.js';
import { fieldInfo, type SkippedColumn, type TableColumns } from './table-columns.js';

/** A GeoPackage's features; says which table they come from and which columns were not read. */
export interface GeoPackageSource extends FeatureSource {
  readonly table: string;
  /** BLOB and extra geometry columns, never read (see table-columns.ts for why); the importer may report them. */
  readonly skippedColumns: readonly SkippedColumn[];
}

/** What `openGeoPackage` has read and checked before any feature is read. */
export interface OpenedGeoPackage {
  readonly db: Database;
  readonly file: string;
  readonly table: string;
  readonly geometry: GeometryColumn;
  readonly columns: TableColumns;
  readonly crs: CrsHint | null;
}

/** Each selected row: the key, the geometry, then the attributes in `columns.attributes` order. */
const COLUMN_KEY = 0;
const COLUMN_GEOMETRY = 1;
const COLUMN_FIRST_ATTRIBUTE = 2;

type Row = unknown[];

/**
 * Streams the feature table one row at a time through SQLite's cursor (`iterate`, never `all`),
 * ordered by the primary key, so feature `index` is the row's position in key order. Memory stays
 * flat: SQLite's page cache is bounded, and each row is released once yielded.
 *
 * better-sqlite3 allows nothing else on a connection while a statement iterates, so one reading
 * runs at a time; `close()` ends a reading in progress, which then fails rather than ending as if
 * the table had no more rows.
 */
export class GeoPackageFeatureSource implements GeoPackageSource {
  readonly file: string;
  readonly table: string;
  readonly crs: CrsHint | null;
  readonly fields: readonly FieldInfo[];
  readonly skippedColumns: readonly SkippedColumn[];
  readonly featureCount: number | null;
  private readonly statement: Statement<unknown[], Row>;
  private rows: IterableIterator<Row> | null = null;
  private isClosed = false;

  constructor(private readonly opened: OpenedGeoPackage) {
    const { db, table, geometry, columns } = opened;
    this.file = opened.file;
    this.table = table;
    this.crs = opened.crs;
    this.fields = Object.freeze(columns.attributes.map(fieldInfo));
    this.skippedColumns = Object.freeze(columns.skipped);
    this.featureCount = countRows(db, table);
    const selected = [columns.primaryKey, geometry.name, ...columns.attributes.map((column) => column.name)].map(quoteIdentifier);
    this.statement = db
      .prepare<unknown[], Row>(`SELECT ${selected.join(', ')} FROM ${quoteIdentifier(table)} ORDER BY ${quoteIdentifier(columns.primaryKey)}`)
      .raw(true)
      .safeIntegers(true);
  }

  features(signal?: AbortSignal): AsyncIterable<SourceFeature> {
    if (this.isClosed) throw new Error(`${this.file}: features() called after close()`);
    return this.readFeatures(signal);
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.rows?.return?.();
    this.rows = null;
    this.opened.db.close();
  }

  private async *readFeatures(signal: AbortSignal | undefined): AsyncGenerator<SourceFeature> {
    if (this.rows !== null) throw new Error(`${this.file}: its features are already being read; read them one pass at a time`);
    const rows = this.startReading();
    let index = 0;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const next = this.nextRow(rows, index + 1);
        if (next.done === true) break;
        index++;
        yield this.toFeature(next.value, index);
        if (this.isClosed) throw new Error(`${this.file}: the feature source was closed while its features were read`);
      }
    } finally {
      rows.return?.();
      if (this.rows === rows) this.rows = null;
    }
  }

  private startReading(): IterableIterator<Row> {
    try {
      this.rows = this.statement.iterate();
      return this.rows;
    } catch (cause) {
      throw new ImportError({ file: this.file }, `cannot be read: ${describeSqliteError(cause)}`, { cause });
    }
  }

  /** A damaged page shows only when SQLite reaches it: the error names the feature it was reading. */
  private nextRow(rows: IterableIterator<Row>, feature: number): IteratorResult<Row> {
    try {
      return rows.next();
    } catch (cause) {
      throw new ImportError({ file: this.file, feature }, `cannot be read from table ${JSON.stringify(this.table)}: ${describeSqliteError(cause)}`, { cause });
    }
  }

  private toFeature(row: Row, index: number): SourceFeature {
    const { file, geometry: column, columns } = this.opened;
    const blob = row[COLUMN_GEOMETRY];
    const location = { file, feature: index, field: column.name };
    let geometry = null;
    if (blob instanceof Uint8Array) geometry = decodeGeometryBlob(blob, column.srsId, location);
    else if (blob !== null) throw new ImportError(location, `holds ${typeof blob === 'string' ? 'text' : 'a number'}, not a geometry blob (fid ${String(row[COLUMN_KEY])})`);
    const properties: Record<string, AttributeValue> = {};
    const { attributes } = columns;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i]!;
      properties[attribute.name] = readColumnValue(row[COLUMN_FIRST_ATTRIBUTE + i], attribute.kind, { file, feature: index, field: attribute.name });
    }
    return { index, properties, geometry };
  }
}

export function describeSqliteError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${message} (${code})` : message;
}

/**
 * The table's row count, for progress; null when SQLite cannot count it. Counting reads every
 * page of the table: a damaged page is reported by the reading itself, naming the feature, not
 * here at open.
 */
function countRows(db: Database, table: string): number | null {
  try {
    return Number(db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM ${quoteIdentifier(table)}`).get()!.n);
  } catch {
    return null;
  }
}
