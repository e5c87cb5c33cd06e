import type { LookupCost, SideStats, ZoomMeasurement } from './zoom-measurement.js';

/**
 * HTTP tiles/s the server should reach, as a share of the raw SQL rate at the same zoom. At
 * z16 a tile holds a few parcels, so the fixed cost of HTTP and Express weighs more.
 */
export const TARGET_RATIOS: ReadonlyMap<number, number> = new Map([[12, 0.9], [14, 0.9], [16, 0.6]]);

export interface ZoomSummary {
  readonly z: number;
  readonly listSize: number;
  readonly sqlTilesPerSecond: number;
  readonly httpTilesPerSecond: number;
  /** HTTP / SQL, or null when the SQL side served nothing. */
  readonly ratio: number | null;
  readonly httpP50Ms: number;
  readonly httpP99Ms: number;
  readonly target: number | null;
  /** ERRORS when either side had a failed request: its rate then measures nothing useful. */
  readonly verdict: 'PASS' | 'BELOW' | 'ERRORS' | '-';
}

export function summarise({ list, sql, http }: ZoomMeasurement): ZoomSummary {
  const sqlRate = tilesPerSecond(sql);
  const httpRate = tilesPerSecond(http);
  const ratio = sqlRate > 0 ? httpRate / sqlRate : null;
  const target = TARGET_RATIOS.get(list.z) ?? null;
  return {
    z: list.z,
    listSize: list.tiles.length,
    sqlTilesPerSecond: sqlRate,
    httpTilesPerSecond: httpRate,
    ratio,
    httpP50Ms: http.p50LatencyMs ?? Number.NaN,
    httpP99Ms: http.p99LatencyMs ?? Number.NaN,
    target,
    verdict: verdictOf(ratio, target, sql.errorCount + http.errorCount),
  };
}

function verdictOf(ratio: number | null, target: number | null, errorCount: number): ZoomSummary['verdict'] {
  if (errorCount > 0) return 'ERRORS';
  if (ratio === null || target === null) return '-';
  return ratio >= target ? 'PASS' : 'BELOW';
}

/** The result table the benchmark exists for. */
export function formatSummaryTable(summaries: readonly ZoomSummary[]): string {
  return formatTable(
    ['zoom', 'tiles', 'SQL tiles/s', 'HTTP tiles/s', 'HTTP/SQL', 'HTTP p50 ms', 'HTTP p99 ms', 'target', 'result'],
    summaries.map((row) => [
      String(row.z),
      String(row.listSize),
      row.sqlTilesPerSecond.toFixed(1),
      row.httpTilesPerSecond.toFixed(1),
      row.ratio === null ? '-' : row.ratio.toFixed(2),
      row.httpP50Ms.toFixed(1),
      row.httpP99Ms.toFixed(1),
      row.target === null ? '-' : row.target.toFixed(2),
      row.verdict,
    ]),
  );
}

/**
 * What lies behind the rates: tiles per side, SQL latencies, tile sizes, empty tiles, errors,
 * and with `--load c` the tile lookup pgbench adds to each SQL transaction. A column no row has
 * a value for (what this load generator does not tell) is left out.
 */
export function formatDetailTable(measurements: readonly ZoomMeasurement[]): string {
  const columns: [string, (row: ZoomMeasurement) => string | null][] = [
    ['zoom', ({ list }) => String(list.z)],
    ['SQL tiles', ({ sql }) => String(sql.tileCount)],
    ['HTTP tiles', ({ http }) => String(http.tileCount)],
    ['SQL mean ms', ({ sql }) => sql.meanLatencyMs.toFixed(2)],
    ['SQL p50 ms', ({ sql }) => sql.p50LatencyMs?.toFixed(1) ?? null],
    ['SQL p99 ms', ({ sql }) => sql.p99LatencyMs?.toFixed(1) ?? null],
    ['lookup ms', ({ lookup }) => lookup?.inRunMeanMs.toFixed(3) ?? null],
    ['lookup alone/s', ({ lookup }) => lookup?.aloneTxPerSecond.toFixed(0) ?? null],
    ['SQL tiles/s less lookup', ({ sql, lookup }) => lookup ? tilesPerSecondLessLookup(sql, lookup) : null],
    ['MVT KiB', ({ sql }) => meanKib(sql.bodyBytes, sql.tileCount)],
    ['gzip KiB', ({ http }) => meanKib(http.bodyBytes, http.tileCount)],
    ['wire KiB', ({ http }) => meanKib(http.wireBytes, http.tileCount)],
    ['empty SQL/HTTP', ({ sql, http }) => (sql.emptyCount === null && http.emptyCount === null ? null : `${sql.emptyCount ?? '-'}/${http.emptyCount ?? '-'}`)],
    ['errors SQL/HTTP', ({ sql, http }) => `${sql.errorCount}/${http.errorCount}`],
  ];
  const cells = columns.map(([header, cell]) => [header, measurements.map(cell)] as const)
    .filter(([, values]) => values.some((value) => value !== null));
  return formatTable(
    cells.map(([header]) => header),
    measurements.map((_, row) => cells.map(([, values]) => values[row] ?? '-')),
  );
}

function tilesPerSecond(stats: SideStats): number {
  return stats.elapsedMs > 0 ? (stats.tileCount * 1000) / stats.elapsedMs : 0;
}

/**
 * An estimate of the SQL rate without the lookup, for a machine whose CPUs are the limit: a
 * transaction takes 1/rate of the machine, a lookup alone 1/(lookups per second), and the
 * statement the difference. The ratio in the summary is taken against the measured rate.
 */
function tilesPerSecondLessLookup(sql: SideStats, lookup: LookupCost): string {
  const sqlRate = tilesPerSecond(sql);
  if (!(sqlRate > 0) || !(lookup.aloneTxPerSecond > 0)) return '-';
  const statementSeconds = 1 / sqlRate - 1 / lookup.aloneTxPerSecond;
  return statementSeconds > 0 ? (1 / statementSeconds).toFixed(1) : '-';
}

function meanKib(bytes: number | null, count: number): string | null {
  if (bytes === null) return null;
  return count > 0 ? (bytes / count / 1024).toFixed(1) : '-';
}

/** A Markdown table, columns padded so that it also reads well in a terminal. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((width, i) => (i === 0 ? (cells[i] ?? '').padEnd(width) : (cells[i] ?? '').padStart(width))).join(' | ')} |`;
  const rule = `|${widths.map((width, i) => (i === 0 ? `-${'-'.repeat(width)}-` : `-${'-'.repeat(width)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
