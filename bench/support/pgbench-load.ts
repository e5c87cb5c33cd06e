import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeIdentifier } from 'pg';
import type { DatabaseConfig } from '../../core/config/schema.js';
import { sessionSettings } from '../../core/db/pool.js';
import type { Pool } from '../../core/db/pool.js';
import type { MvtQuery } from '../../server/sources/mvt-query.js';
import { runTool, type ToolOutput } from './load-tools.js';
import type { TileList } from './tile-list.js';
import type { RunSide, SideStats } from './zoom-measurement.js';

/**
 * pgbench variables that stand for the statement's parameters $1..$5, in order: the tile's
 * bounds in EPSG:3857 and the buffer margin (see buildMvtQuery). They are also the column
 * names of the tile table, so that `\gset` sets them.
 */
const PARAMETER_VARIABLES = ['min_x', 'min_y', 'max_x', 'max_y', 'margin'] as const;

/** pgbench failures quoted in the report; the count covers them all. */
const MAX_ERROR_SAMPLES = 5;

/** A pgbench run of the SQL side, with the lookup's share of each transaction (pgbench -r). */
export interface PgbenchStats extends SideStats {
  readonly lookupMeanMs: number;
}

export interface TileTable {
  /** Schema-qualified and quoted. */
  readonly name: string;
  drop(): Promise<void>;
}

/**
 * pgbench has no arrays, so the tile lists go into a table of the bench database, one row per
 * tile with the parameters `query.values(tile)` gives the server. Values travel as text in
 * both directions: node-pg writes the shortest decimal that reads back as the same double,
 * and PostgreSQL (extra_float_digits 1, the default) prints it back the same way, so pgbench
 * passes the statement exactly the doubles the server passes; checked here once. The name
 * carries our pid, so that two runs on one database do not drop each other's table.
 */
export async function createTileTable(pool: Pool, lists: readonly TileList[], query: MvtQuery): Promise<TileTable> {
  const name = `public.${escapeIdentifier(`bench_tiles_${process.pid}`)}`;
  const rows = lists.flatMap((list) => list.tiles.map((tile, i) => [list.z, i, ...query.values(tile)] as const));
  const column = (index: number) => rows.map((row) => row[index]!);
  await pool.query(`DROP TABLE IF EXISTS ${name}`);
  await pool.query(`CREATE UNLOGGED TABLE ${name} (z int, i int, ${PARAMETER_VARIABLES.map((v) => `${v} float8 NOT NULL`).join(', ')}, PRIMARY KEY (z, i))`);
  const table: TileTable = {
    name,
    async drop() {
      await pool.query(`DROP TABLE IF EXISTS ${name}`);
    },
  };
  try {
    await pool.query(
      `INSERT INTO ${name} SELECT * FROM unnest($1::int[], $2::int[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[])`,
      [0, 1, 2, 3, 4, 5, 6].map(column),
    );
    await pool.query(`ANALYZE ${name}`);
    await checkRoundTrip(pool, name, rows);
  } catch (error) {
    await table.drop();
    throw error;
  }
  return table;
}

async function checkRoundTrip(pool: Pool, name: string, rows: readonly (readonly number[])[]): Promise<void> {
  const { rows: stored } = await pool.query<Record<string, number>>(`SELECT * FROM ${name} ORDER BY z, i`);
  const expected = [...rows].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  stored.forEach((row, index) => {
    const values = [row.z, row.i, ...PARAMETER_VARIABLES.map((v) => row[v])];
    if (values.some((value, k) => value !== expected[index]![k])) {
      throw new Error(`${name}: tile z${row.z} #${row.i} reads back as ${values.join(', ')}, not ${expected[index]!.join(', ')}`);
    }
  });
}

export interface PgbenchSideOptions {
  readonly pgbenchPath: string;
  readonly databaseUrl: string;
  readonly database: DatabaseConfig;
  readonly query: MvtQuery;
  readonly table: TileTable;
  readonly concurrency: number;
  /** Where the scripts are written. */
  readonly directory: string;
}

export interface PgbenchSide {
  /** The SQL side: the lookup, then the server's statement. */
  readonly run: RunSide<PgbenchStats>;
  /** The lookup alone; resolves to transactions per second. */
  readonly runLookupAlone: (seconds: number, signal: AbortSignal) => Promise<number>;
}

/**
 * The SQL side of `--load c`: `pgbench -M prepared` with `concurrency` connections (as many
 * as `min(2, concurrency)` threads). Each client walks the list round and round from its own
 * start, the starts spread evenly over the list (client c at c * tiles / clients; pgbench keeps
 * variables from one transaction to the next), looks the tile's parameters up in the tile
 * table into pgbench variables, and runs the server's statement with them.
 */
export async function createPgbenchSide(list: TileList, options: PgbenchSideOptions): Promise<PgbenchSide> {
  const lookup = lookupScript(list, options.table.name, options.concurrency);
  const statementScript = join(options.directory, `pgbench-z${list.z}.sql`);
  const lookupScriptPath = join(options.directory, `pgbench-lookup-z${list.z}.sql`);
  await writeFile(statementScript, `${lookup}${pgbenchStatement(options.query.text)};\n`);
  await writeFile(lookupScriptPath, lookup);
  const run = (script: string, seconds: number, signal: AbortSignal) => runTool(options.pgbenchPath, [
    '-n', '-c', String(options.concurrency), '-j', String(pgbenchThreadCount(options.concurrency)),
    '-T', String(seconds), '-M', 'prepared', '-r', '-D', 'step=0', '-f', script, options.databaseUrl,
  ], { env: pgbenchEnv(options.database), signal });
  return {
    run: async (seconds, signal) => parsePgbench(await run(statementScript, seconds, signal), seconds, options.table.name),
    runLookupAlone: async (seconds, signal) => {
      const stats = parsePgbench(await run(lookupScriptPath, seconds, signal), seconds, options.table.name);
      if (stats.errorCount > 0) throw new Error(`the tile lookup failed: ${stats.errorSamples.join('; ')}`);
      return stats.elapsedMs > 0 ? (stats.tileCount * 1000) / stats.elapsedMs : 0;
    },
  };
}

/** Two threads, as wrk has; pgbench spreads the clients over them itself. */
export function pgbenchThreadCount(concurrency: number): number {
  return Math.min(2, concurrency);
}

function lookupScript(list: TileList, tableName: string, concurrency: number): string {
  const count = list.tiles.length;
  return `-- Written by bench/support/pgbench-load.ts for zoom ${list.z}: the tiles of bench/support/tile-list.ts.
\\set i ((:client_id * ${count}) / ${concurrency} + :step) % ${count}
\\set step :step + 1
SELECT ${PARAMETER_VARIABLES.join(', ')} FROM ${tableName} WHERE z = ${list.z} AND i = :i \\gset
`;
}

/**
 * The server's statement with each `$n` written as the pgbench variable of that parameter,
 * cast to float8. pgbench makes every occurrence of a variable a parameter of its own, and
 * `$1 - $5` of two untyped parameters is ambiguous (unknown - unknown); in the server's
 * statement PostgreSQL infers float8 for all five (ST_MakeEnvelope takes float8), so the cast
 * names the type the server's parameters get, and the plan is the same.
 */
export function pgbenchStatement(text: string): string {
  // pgbench ends a command at ';' and reads ':name' as a variable; the statement has neither.
  if (text.includes(';') || /(^|[^:]):[A-Za-z_]/.test(text)) {
    throw new Error(`the MVT statement cannot run in a pgbench script as it is:\n${text}`);
  }
  return text.replace(/\$(\d+)/g, (parameter, position: string) => {
    const variable = PARAMETER_VARIABLES[Number(position) - 1];
    if (!variable) throw new Error(`the MVT statement has a parameter ${parameter}; pgbench scripts know $1 to $${PARAMETER_VARIABLES.length}`);
    return `:${variable}::float8`;
  });
}

/** The server's session settings (deadline, plan cache mode) and a name in pg_stat_activity. */
function pgbenchEnv(database: DatabaseConfig): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PGOPTIONS: `${process.env.PGOPTIONS ?? ''} ${sessionSettings(database)}`.trim(),
    PGAPPNAME: 'planmap-bench-pgbench',
    PGCONNECT_TIMEOUT: String(Math.max(1, Math.ceil(database.connectTimeoutMs / 1000))),
  };
}

/**
 * Reads pgbench's report. A client whose statement fails is aborted (pgbench exits 2 and still
 * reports the others); each aborted client counts as one failed request. Without a report
 * (bad script, no connection) it throws.
 */
function parsePgbench({ exitCode, stdout, stderr }: ToolOutput, seconds: number, tableName: string): PgbenchStats {
  const number = (pattern: RegExp) => {
    const match = pattern.exec(stdout);
    return match ? Number(match[1]) : null;
  };
  const processed = number(/^number of transactions actually processed: (\d+)/m);
  // "client 3 script 0 aborted in command 3 query 0: ERROR: ..." or "client 0 script 0 command 2 query 0: expected one row, got 0"
  const aborted = stderr.split('\n').filter((line) => /client \d+ script \d+ (aborted in )?command \d+/.test(line));
  if (processed === null || (exitCode !== 0 && aborted.length === 0)) {
    throw new Error(`pgbench exited with code ${exitCode}: ${stderr.trim() || stdout.trim()}`);
  }
  // PostgreSQL 14 and later say "without initial connection time", older ones "excluding connections establishing".
  const tps = number(/^tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)/m) ?? 0;
  const failed = number(/^number of failed transactions: (\d+)/m) ?? 0;
  const errorSamples = aborted.slice(0, MAX_ERROR_SAMPLES).map((line) => line.replace(/^pgbench: error: /, ''));
  if (failed > 0) errorSamples.push(`${failed} failed transactions`);
  return {
    tileCount: processed,
    elapsedMs: tps > 0 ? (processed * 1000) / tps : seconds * 1000,
    errorCount: failed + aborted.length,
    errorSamples,
    meanLatencyMs: number(/^latency average = ([\d.]+) ms/m) ?? Number.NaN,
    p50LatencyMs: null,
    p99LatencyMs: null,
    emptyCount: null,
    bodyBytes: null,
    wireBytes: null,
    lookupMeanMs: commandLatencyMs(stdout, tableName),
  };
}

/** Mean latency of the script command that mentions `text`, from pgbench -r's table. */
function commandLatencyMs(stdout: string, text: string): number {
  const line = stdout.split('\n').find((candidate) => /^\s+[\d.]+\s/.test(candidate) && candidate.includes(text));
  return line ? Number(line.trim().split(/\s+/)[0]) : Number.NaN;
}
