import type { Database } from 'better-sqlite3';

/**
 * What the reader asks SQLite's own catalog. Names from the file (table and column names in
 * gpkg_contents and gpkg_geometry_columns) only reach SQL text quoted by `quoteIdentifier`, and
 * only after they were found in `sqlite_master`; values are always bound parameters.
 */

/** An SQLite identifier in double quotes, inner quotes doubled (https://sqlite.org/lang_keywords.html). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Whether the file holds a table or view of that name (SQLite names are case-insensitive). */
export function hasTable(db: Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE").get(name) !== undefined;
}

/** The column names of a table or view, in declaration order. */
export function columnNames(db: Database, table: string): string[] {
  return tableInfo(db, table).map((column) => column.name);
}

/** One row of `PRAGMA table_info`: `type` is the declared type as written, `pk` the column's position in the primary key (0: not in it). */
export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly pk: number;
}

export function tableInfo(db: Database, table: string): ColumnInfo[] {
  return db.prepare(`PRAGMA table_info(${quoteIdentifier(table)})`).all() as ColumnInfo[];
}
