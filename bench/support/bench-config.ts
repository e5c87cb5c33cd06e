import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readConfigFile, resolveConfigFile } from '../../core/config/load-config.js';

/** The load generator's own addresses, as the server sees them on loopback. */
const LOAD_GENERATOR_ADDRESSES = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

/**
 * Writes `{directory}/{name}.yaml`: the configuration the benchmark was given (CONFIG_FILE, else
 * config/default.yaml) with the `cache:` keys in `cache` and the load generator exempt from the
 * per-address rate limit (server/access), which a benchmark from one machine exceeds by design.
 * Returns its path, for the child server's CONFIG_FILE.
 */
export async function writeBenchConfig(directory: string, name: string, cache: Record<string, unknown>): Promise<string> {
  const raw = readConfigFile(resolveConfigFile(process.env.CONFIG_FILE)) as Record<string, unknown>;
  const access = (raw.access ?? {}) as Record<string, unknown>;
  const rateLimits = (access.rateLimits ?? {}) as Record<string, unknown>;
  const exempt = Array.isArray(rateLimits.exemptAddresses) ? (rateLimits.exemptAddresses as string[]) : [];
  raw.access = { ...access, rateLimits: { ...rateLimits, exemptAddresses: [...new Set([...exempt, ...LOAD_GENERATOR_ADDRESSES])] } };
  raw.cache = { ...((raw.cache ?? {}) as Record<string, unknown>), ...cache };
  const path = join(directory, `${name}.yaml`);
  await writeFile(path, stringify(raw));
  return path;
}
