import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './load-tools.js';
import type { TileList } from './tile-list.js';
import type { RunSide, SideStats } from './zoom-measurement.js';

/** Same deadline as the Node client's; the server's own statement deadline is 15 s. */
const REQUEST_TIMEOUT_SECONDS = 30;

/** Starts the one line of wrk's output that our done() prints, as JSON. */
const RESULT_MARKER = 'PLANMAP_WRK_RESULT ';

export interface WrkSideOptions {
  readonly wrkPath: string;
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly baseUrl: string;
  readonly tilesetId: string;
  readonly concurrency: number;
  /** Where the Lua script is written. */
  readonly directory: string;
}

/**
 * wrk gives each thread connections / threads connections, rounded down, so an odd count runs
 * on one thread to keep exactly `concurrency` connections. Two threads are plenty: the rates
 * measured here are far below what one wrk thread sends.
 */
export function wrkThreadCount(concurrency: number): number {
  return concurrency % 2 === 0 ? 2 : 1;
}

/**
 * The HTTP side of `--load c`: wrk with `concurrency` keep-alive connections, asking for the
 * tiles of `list` with `Accept-Encoding: gzip` through a Lua script written for this list.
 * HTTP tiles = responses with a status below 400 (wrk counts 4xx and 5xx as failed, a socket
 * error or a request over 30 s too); latency percentiles are wrk's own, in microseconds.
 */
export async function createWrkSide(list: TileList, options: WrkSideOptions): Promise<RunSide> {
  const threads = wrkThreadCount(options.concurrency);
  const scriptPath = join(options.directory, `wrk-z${list.z}.lua`);
  await writeFile(scriptPath, luaScript(list, options.tilesetId, threads));
  const args = ['-c', String(options.concurrency), '-t', String(threads), '--timeout', `${REQUEST_TIMEOUT_SECONDS}s`, '-s', scriptPath];
  return async (seconds, signal) => {
    const { exitCode, stdout, stderr } = await runTool(options.wrkPath, [...args, '-d', `${seconds}s`, `${options.baseUrl}/`], { signal });
    if (exitCode !== 0) throw new Error(`wrk exited with code ${exitCode}: ${(stderr || stdout).trim()}`);
    return parseWrkResult(stdout);
  };
}

/**
 * Each wrk thread walks the list round and round from its own start, the threads' starts
 * spread evenly over the list (as pgbench's clients are), so that together they cover the
 * list evenly; thread 0 starts one tile later, as wrk calls its request() once before the run
 * to count pipelined requests. Requests are formatted once in init(), as wrk's SCRIPTING
 * advises; no response() function, which would make wrk parse every response. done() prints
 * the counts as one line of JSON, with latencies in microseconds.
 */
function luaScript(list: TileList, tilesetId: string, threads: number): string {
  const paths = list.tiles.map(({ z, x, y }) => `  "/tiles/${encodeURIComponent(tilesetId)}/${z}/${x}/${y}.mvt",`);
  return `-- Written by bench/support/wrk-load.ts for zoom ${list.z}: the tiles of bench/support/tile-list.ts.
local paths = {
${paths.join('\n')}
}
local THREADS = ${threads}
local prepared = {}
local position = 0
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  wrk.headers["Accept-Encoding"] = "gzip"
  for i, path in ipairs(paths) do
    prepared[i] = wrk.format("GET", path)
  end
  position = math.floor(thread_index * #paths / THREADS)
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '${RESULT_MARKER}{"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,' ..
    '"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,' ..
    '"meanUs":%.3f,"p50Us":%.0f,"p99Us":%.0f}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99)))
end
`;
}

interface WrkResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly bytes: number;
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly status: number;
  readonly timeout: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

function parseWrkResult(stdout: string): SideStats {
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER));
  if (!line) throw new Error(`wrk printed no result line:\n${stdout.trim()}`);
  const result = JSON.parse(line.slice(RESULT_MARKER.length)) as WrkResult;
  const socketErrors = result.connect + result.read + result.write + result.timeout;
  const errorSamples: string[] = [];
  if (result.status > 0) errorSamples.push(`${result.status} responses with a status of 400 or above`);
  if (socketErrors > 0) {
    errorSamples.push(`socket errors: connect ${result.connect}, read ${result.read}, write ${result.write}, ` +
      `timeout ${result.timeout} (over ${REQUEST_TIMEOUT_SECONDS} s)`);
  }
  const received = result.requests > 0;
  return {
    tileCount: result.requests - result.status,
    elapsedMs: result.durationUs / 1000,
    errorCount: result.status + socketErrors,
    errorSamples,
    meanLatencyMs: received ? result.meanUs / 1000 : Number.NaN,
    p50LatencyMs: received ? result.p50Us / 1000 : Number.NaN,
    p99LatencyMs: received ? result.p99Us / 1000 : Number.NaN,
    emptyCount: null,
    bodyBytes: null,
    wireBytes: result.bytes,
  };
}
