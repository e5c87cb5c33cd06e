/**
 * CSV for spreadsheet users (RFC 4180): UTF-8 with a byte-order mark, because Excel reads a
 * CSV without one in the system's ANSI code page (GBK on Chinese Windows) and garbles Chinese
 * text; CRLF line ends; a field is quoted when it holds a comma, quote or line break.
 */
export interface CsvColumn<Row> {
  /** Header text (Chinese, with the unit). */
  readonly title: string;
  readonly value: (row: Row) => string | number | boolean | null;
  /** Digits after the point for numbers; unset: as JavaScript writes them. */
  readonly decimals?: number;
}

const BYTE_ORDER_MARK = '\uFEFF';

export function toCsv<Row>(columns: readonly CsvColumn<Row>[], rows: readonly Row[]): string {
  const lines = [columns.map((column) => quote(column.title)).join(',')];
  for (const row of rows) {
    lines.push(columns.map((column) => quote(format(column.value(row), column.decimals))).join(','));
  }
  return `${BYTE_ORDER_MARK}${lines.join('\r\n')}\r\n`;
}

function format(value: string | number | boolean | null, decimals: number | undefined): string {
  if (value === null) return '';
  if (typeof value === 'number') return decimals === undefined ? String(value) : value.toFixed(decimals);
  if (typeof value === 'boolean') return value ? '是' : '否';
  return value;
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
