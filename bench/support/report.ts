import type { LoadResult } from './load-runner.js';
import type { ZoomMeasurement } from './measure-zoom.js';

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
  const sorted = sortedLatencies(http);
  return {
    z: list.z,
    listSize: list.tiles.length,
    sqlTilesPerSecond: sqlRate,
    httpTilesPerSecond: httpRate,
    ratio,
    httpP50Ms: percentile(sorted, 0.5),
    httpP99Ms: percentile(sorted, 0.99),
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

/** What lies behind the rates: SQL latencies, tile sizes on each side, empty tiles, errors. */
export function formatDetailTable(measurements: readonly ZoomMeasurement[]): string {
  return formatTable(
    ['zoom', 'SQL tiles', 'HTTP tiles', 'SQL p50 ms', 'SQL p99 ms', 'MVT KiB', 'gzip KiB', 'empty SQL/HTTP', 'errors SQL/HTTP'],
    measurements.map(({ list, sql, http }) => {
      const sqlSorted = sortedLatencies(sql);
      return [
        String(list.z),
        String(sql.tileCount),
        String(http.tileCount),
        percentile(sqlSorted, 0.5).toFixed(1),
        percentile(sqlSorted, 0.99).toFixed(1),
        meanKib(sql),
        meanKib(http),
        `${sql.emptyCount}/${http.emptyCount}`,
        `${sql.errorCount}/${http.errorCount}`,
      ];
    }),
  );
}

function tilesPerSecond(result: LoadResult): number {
  return result.elapsedMs > 0 ? (result.tileCount * 1000) / result.elapsedMs : 0;
}

function meanKib(result: LoadResult): string {
  return result.tileCount > 0 ? (result.bytes / result.tileCount / 1024).toFixed(1) : '-';
}

function sortedLatencies(result: LoadResult): Float64Array {
  return Float64Array.from(result.latenciesMs).sort();
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
export function percentile(sorted: Float64Array, share: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(share * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** A Markdown table, columns padded so that it also reads well in a terminal. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((width, i) => (i === 0 ? (cells[i] ?? '').padEnd(width) : (cells[i] ?? '').padStart(width))).join(' | ')} |`;
  const rule = `|${widths.map((width, i) => (i === 0 ? `-${'-'.repeat(width)}-` : `-${'-'.repeat(width)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
