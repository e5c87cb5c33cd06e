import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { projectRoot } from '../project-root.js';
import { configSchema, publicUrlSchema, serverWorkersSchema, type FileConfig } from './schema.js';

/** Where the embedded database lives unless EMBEDDED_DATA_DIR says otherwise (gitignored). */
export const DEFAULT_EMBEDDED_DATA_DIR = join(projectRoot, '.data', 'embedded');

/**
 * The local cluster `scripts/ensure-postgis.ts` provisions (for `npm test` and for tools that are
 * given no DATABASE_URL). The server itself, without DATABASE_URL, runs on the embedded database
 * (`embeddedDataDir`) and never uses this URL.
 */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/planmap';

export interface AppConfig extends FileConfig {
  /** Where the YAML came from, for messages. */
  readonly configFile: string;
  /** From DATABASE_URL; a secret, never logged. */
  readonly databaseUrl: string;
  /**
   * Set when DATABASE_URL is not: the folder of the embedded PGlite database the server starts
   * (EMBEDDED_DATA_DIR, default `.data/embedded`); core/db/embedded/open-database.ts.
   */
  readonly embeddedDataDir: string | null;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration once, at start-up. The file is `CONFIG_FILE`
 * (default `config/default.yaml`); `DATABASE_URL`, `PORT`, `PUBLIC_URL` and `WORKERS` override it.
 * Throws ConfigError naming the file and the key path of every problem.
 */
export function loadConfig(env: Environment = process.env): AppConfig {
  const configFile = resolveConfigFile(env.CONFIG_FILE);
  return parseConfig(readConfigFile(configFile), configFile, env);
}

/** The YAML of a configuration file, parsed but not validated. */
export function readConfigFile(configFile: string): unknown {
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (error) {
    throw new ConfigError(`${configFile}: cannot read the configuration file`, { cause: error });
  }
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`${configFile}: not valid YAML: ${(error as Error).message}`, { cause: error });
  }
}

/** Validates an already-parsed configuration object; exported for tests and tools. */
export function parseConfig(raw: unknown, configFile: string, env: Environment = {}): AppConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`${configFile}: invalid configuration\n${formatIssues(result.error.issues)}`);
  }
  const config = result.data;
  if (env.PORT !== undefined) config.server.port = parsePort(env.PORT);
  if (env.PUBLIC_URL) config.server.publicUrl = parsePublicUrl(env.PUBLIC_URL);
  if (env.WORKERS) config.server.workers = parseWorkers(env.WORKERS);
  const embeddedDataDir = env.DATABASE_URL ? null : embeddedDataDirFromEnv(env.EMBEDDED_DATA_DIR);
  return deepFreeze(compactStrings({ ...config, configFile, databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL, embeddedDataDir }));
}

/** EMBEDDED_DATA_DIR (relative to the working directory), else the default folder. */
export function embeddedDataDirFromEnv(value: string | undefined): string {
  if (!value) return DEFAULT_EMBEDDED_DATA_DIR;
  return isAbsolute(value) ? value : join(process.cwd(), value);
}

export function resolveConfigFile(fromEnv: string | undefined): string {
  if (!fromEnv) return join(projectRoot, 'config', 'default.yaml');
  return isAbsolute(fromEnv) ? fromEnv : join(process.cwd(), fromEnv);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new ConfigError(`PORT: "${value}" is not a TCP port number`);
  return port;
}

function parseWorkers(value: string): 'auto' | number {
  const result = serverWorkersSchema.safeParse(value === 'auto' ? value : /^\d+$/.test(value) ? Number(value) : value);
  if (!result.success) throw new ConfigError(`WORKERS: "${value}" is not auto or a whole number from 1 to 64`);
  return result.data;
}

function parsePublicUrl(value: string): string {
  const result = publicUrlSchema.safeParse(value);
  if (!result.success) throw new ConfigError(`PUBLIC_URL: "${value}" is not an absolute URL`);
  return result.data;
}

/** One line per problem: `  tilesets[0].maxzoom: Too big: expected number to be <=24`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .flatMap((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `  ${formatPath([...issue.path, key])}: unknown key`);
      }
      return [`  ${formatPath(issue.path)}: ${issue.message}`];
    })
    .join('\n');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/**
 * Gives every Latin-1 string of the configuration storage of its own, one byte per character.
 * The YAML parser's strings are slices of the file's text, and V8 keeps a text that holds any
 * Chinese two bytes per character, slices included: a Cache-Control value from the file then
 * made every tile response's header block two-byte, converted again on each write (a CPU
 * profile of cached tiles showed the conversion). It also lets the file's text be collected.
 */
function compactStrings<T>(value: T): T {
  if (typeof value === 'string') return (/^[\x00-\xff]*$/.test(value) ? Buffer.from(value, 'latin1').toString('latin1') : value) as T;
  if (Array.isArray(value)) return value.map(compactStrings) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, compactStrings(child)])) as T;
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
