import type { Response } from 'express';
import { toCsv, type CsvColumn } from './csv-table.js';

/**
 * Sends a statistics table as JSON (the rows with `meta`) or as a CSV download named
 * `<fileName>.csv`, with the Chinese title as the RFC 6266 `filename*` for browsers that take it.
 * Statistics change with every publish: never cached.
 */
export interface TableResponse<Row> {
  readonly format: 'json' | 'csv';
  readonly fileName: string;
  readonly title: string;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly columns: readonly CsvColumn<Row>[];
  readonly rows: readonly Row[];
  /** JSON form of a row (defaults to the row itself). */
  readonly toJson?: (row: Row) => unknown;
}

export function sendTable<Row>(res: Response, table: TableResponse<Row>): void {
  res.setHeader('Cache-Control', 'no-store');
  if (table.format === 'json') {
    res.json({ ...table.meta, rows: table.rows.map(table.toJson ?? ((row) => row)) });
    return;
  }
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${table.fileName}.csv"; filename*=UTF-8''${encodeURIComponent(`${table.title}.csv`)}`);
  res.send(toCsv(table.columns, table.rows));
}
