import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { DEFAULT_DATABASE_URL } from '../core/config/load-config.js';

/**
 * `prestart` and `pretest`: makes sure the database the server (or, with `--test`, the test
 * suite) will use is a reachable PostgreSQL with PostGIS available (and, for the tests, that
 * GDAL's ogr2ogr is installed), so that `npm start` and
 * `npm test` work on a fresh Debian machine without a set-up step of their own.
 *
 * Without DATABASE_URL (and without `--test`) the server runs on its embedded database and
 * nothing is done; `--local` provisions the local cluster of DEFAULT_DATABASE_URL anyway (for
 * the command-line tools, which use it when DATABASE_URL is not set).
 * An explicit DATABASE_URL / TEST_DATABASE_URL is only checked: it may be a shared or remote
 * server, and nothing is ever installed for it. The default local URL is provisioned: the
 * cluster is started, PostgreSQL and PostGIS are installed from apt (as root), and the
 * `planmap` database is created. The extension itself is left to the migrations.
 */

/** The same default as TEST_ADMIN_URL in test/support/test-database.ts (scripts do not import tests). */
const DEFAULT_TEST_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** Debian 12's PostgreSQL, installed when there is no server at all. */
const DEBIAN_POSTGRES_MAJOR = 15;
/** Deadline of each connection attempt and statement. */
const CONNECT_TIMEOUT_MS = 5000;
/** How long a just-started cluster may take to accept connections. */
const STARTUP_DEADLINE_MS = 30_000;
const STARTUP_POLL_MS = 500;

/** An expected failure: its message tells the user what to do, and no stack is shown. */
class ProvisionError extends Error {}

interface Target {
  readonly url: string;
  /** The variable that overrides the default, named in messages. */
  readonly envName: 'DATABASE_URL' | 'TEST_DATABASE_URL';
  readonly isExplicit: boolean;
  /** The server's own database (planmap) is created; the tests create theirs. */
  readonly createsDatabase: boolean;
}

type Probe =
  | { readonly state: 'ready'; readonly serverVersionNum: number; readonly hasPostgis: boolean }
  | { readonly state: 'refused' }
  | { readonly state: 'starting' }
  | { readonly state: 'no-database' }
  | { readonly state: 'failed'; readonly message: string };

interface Cluster {
  readonly version: string;
  readonly name: string;
  readonly port: number;
  readonly isOnline: boolean;
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (!argv.includes('--test') && !argv.includes('--local') && !env.DATABASE_URL) {
    // `npm start` without DATABASE_URL runs on the embedded PGlite + PostGIS (core/db/embedded).
    console.log('DATABASE_URL is not set: the server uses its embedded database (PGlite with PostGIS); nothing to provision.');
    return;
  }
  const target = resolveTarget(argv.includes('--test'), env);
  if (target.isExplicit) await checkExplicit(target);
  else await provisionLocal(target);
  console.log(`PostGIS ready at ${redact(target.url)}`);
  if (argv.includes('--test') && !hasCommand('ogr2ogr')) {
    // The suite imports GeoPackage, MapInfo and DXF deliveries written and read with GDAL.
    installPackages(['gdal-bin'], 'GDAL (ogr2ogr) not found, and the tests need it', 'the server itself runs without it');
  }
  if (argv.includes('--test') && (!existsSync(process.env.CHROMIUM_PATH || '/usr/bin/chromium') || !hasCommand('shellcheck'))) {
    // test/browser drives Debian's Chromium (playwright-core, no browser download); test/docker lints the entrypoint.
    installPackages(['chromium', 'fonts-noto-cjk', 'shellcheck'], 'Chromium or shellcheck not found, and the tests need them', 'the server itself runs without them');
  }
}

function resolveTarget(isTest: boolean, env: NodeJS.ProcessEnv): Target {
  const envName = isTest ? 'TEST_DATABASE_URL' : 'DATABASE_URL';
  const fromEnv = env[envName];
  const url = fromEnv || (isTest ? DEFAULT_TEST_ADMIN_URL : DEFAULT_DATABASE_URL);
  // Checked here so that a malformed URL (which may hold a password) is never echoed by pg.
  if (!URL.canParse(url)) throw new ProvisionError(`${envName} is not a valid postgres:// URL`);
  return { url, envName, isExplicit: Boolean(fromEnv), createsDatabase: !isTest };
}

async function checkExplicit(target: Target): Promise<void> {
  const result = await probe(target.url);
  if (result.state !== 'ready') throw new ProvisionError(describeUnready(result, target));
  if (!result.hasPostgis) {
    throw new ProvisionError(`${target.envName} ${redact(target.url)}: PostgreSQL is reachable but PostGIS is not ` +
      `installed on that server (no 'postgis' in pg_available_extensions). Install PostGIS there, or unset ${target.envName} ` +
      'to use the local cluster.');
  }
}

async function provisionLocal(target: Target): Promise<void> {
  const maintenanceUrl = withDatabase(target.url, 'postgres');
  let result = await probe(maintenanceUrl);
  if (result.state === 'refused') {
    const { hostname, port } = new URL(target.url);
    startLocalServer(`${hostname}:${port || 5432}`, Number(port || 5432));
    result = await waitUntilReachable(maintenanceUrl);
  }
  if (result.state !== 'ready') throw new ProvisionError(describeUnready(result, target));
  if (!result.hasPostgis) {
    installPackages([`postgresql-${Math.floor(result.serverVersionNum / 10000)}-postgis-3`], 'PostGIS not found');
    result = await probe(maintenanceUrl);
    if (result.state !== 'ready' || !result.hasPostgis) {
      throw new ProvisionError(`PostGIS is still not available at ${redact(maintenanceUrl)} after installing it.`);
    }
  }
  if (target.createsDatabase) await createDatabaseIfMissing(maintenanceUrl, databaseName(target.url));
}

/** Connects once and reads what provisioning needs; never throws for an unreachable server. */
async function probe(url: string): Promise<Probe> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: CONNECT_TIMEOUT_MS,
    application_name: 'planmap-ensure-postgis',
  });
  try {
    await client.connect();
  } catch (error) {
    return classifyConnectError(error);
  }
  try {
    const { rows } = await client.query<{ version_num: number; has_postgis: boolean }>(
      `SELECT current_setting('server_version_num')::int AS version_num,
              EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis') AS has_postgis`);
    const row = rows[0];
    if (!row) return { state: 'failed', message: 'the server answered no row to a version query' };
    return { state: 'ready', serverVersionNum: row.version_num, hasPostgis: row.has_postgis };
  } catch (error) {
    return { state: 'failed', message: `connected, but a query failed: ${(error as Error).message}` };
  } finally {
    await client.end();
  }
}

function classifyConnectError(error: unknown): Probe {
  const codes = errorCodes(error);
  if (codes.includes('ECONNREFUSED')) return { state: 'refused' };
  if (codes.includes('57P03')) return { state: 'starting' }; // "the database system is starting up"
  if (codes.includes('3D000')) return { state: 'no-database' }; // invalid_catalog_name
  return { state: 'failed', message: error instanceof Error ? error.message : String(error) };
}

/** Node reports a refused connection to a host with several addresses as an AggregateError. */
function errorCodes(error: unknown): string[] {
  const nested = error instanceof AggregateError ? error.errors : [];
  return [error, ...nested].flatMap((item: unknown) => {
    const code = typeof item === 'object' && item !== null && 'code' in item ? item.code : undefined;
    return typeof code === 'string' ? [code] : [];
  });
}

function describeUnready(result: Exclude<Probe, { state: 'ready' }>, target: Target): string {
  const where = `${target.isExplicit ? target.envName : 'the local server'} ${redact(target.url)}`;
  switch (result.state) {
    case 'refused':
      return `${where}: connection refused; is PostgreSQL running there?` +
        (target.isExplicit ? ` (Unset ${target.envName} to use the local cluster.)` : '');
    case 'starting':
      return `${where}: the server is still starting up; try again in a moment.`;
    case 'no-database':
      return `${where}: the database ${databaseName(target.url)} does not exist on that server.`;
    case 'failed':
      return `${where}: cannot connect (${result.message}).` +
        (target.isExplicit ? '' : ` Set ${target.envName} to a PostgreSQL with PostGIS you can log in to.`);
  }
}

async function waitUntilReachable(url: string): Promise<Probe> {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  for (;;) {
    const result = await probe(url);
    const isStarting = result.state === 'refused' || result.state === 'starting';
    if (!isStarting || Date.now() > deadline) return result;
    await delay(STARTUP_POLL_MS);
  }
}

/** Starts the Debian cluster listening on `port`, installing PostgreSQL first if there is none. */
function startLocalServer(host: string, port: number): void {
  let clusters = hasCommand('pg_lsclusters') ? listClusters() : [];
  const isNewServer = clusters.length === 0;
  if (isNewServer) {
    installPackages([`postgresql-${DEBIAN_POSTGRES_MAJOR}`, `postgresql-${DEBIAN_POSTGRES_MAJOR}-postgis-3`],
      `PostgreSQL not found at ${host}`);
    clusters = listClusters();
  }
  const cluster = clusters.find((candidate) => candidate.port === port);
  if (!cluster) {
    throw new ProvisionError(`no PostgreSQL cluster listens on port ${port} (see pg_lsclusters). Create one with ` +
      `\`${asRoot(['pg_createcluster', String(DEBIAN_POSTGRES_MAJOR), 'main', '--port', String(port), '--start'])}\`, or set DATABASE_URL.`);
  }
  if (isNewServer) {
    allowPasswordlessLoopback(cluster);
    // The package may have started the cluster already, before the rules above existed.
    if (cluster.isOnline) run(pgCtlCluster(cluster, 'reload'));
  }
  if (cluster.isOnline) return;
  if (!isRoot()) {
    throw new ProvisionError(`PostgreSQL ${cluster.version}/${cluster.name} is not running at ${host}. ` +
      `Start it with: ${asRoot(pgCtlCluster(cluster, 'start'))}`);
  }
  console.log(`PostgreSQL ${cluster.version}/${cluster.name} is not running at ${host}: starting it …`);
  run(pgCtlCluster(cluster, 'start'));
}

/** `pg_lsclusters` rows: version, name, port, status, owner, data directory, log file. */
function listClusters(): Cluster[] {
  const output = capture(['pg_lsclusters', '--no-header']);
  return output.split('\n').flatMap((line) => {
    const [version, name, port, status] = line.trim().split(/\s+/);
    if (!version || !name || !port || !status) return [];
    return [{ version, name, port: Number(port), isOnline: status.startsWith('online') }];
  });
}

function pgCtlCluster(cluster: Cluster, action: 'start' | 'reload'): string[] {
  // Without systemd (containers, CI) pg_ctlcluster starts the server itself; with it, letting
  // pg_ctlcluster redirect to systemctl keeps the cluster supervised, so the flag is left off.
  const skipRedirect = existsSync('/run/systemd/system') ? [] : ['--skip-systemctl-redirect'];
  return ['pg_ctlcluster', ...skipRedirect, cluster.version, cluster.name, action];
}

/**
 * Debian's new clusters ask for a password on TCP, but DEFAULT_DATABASE_URL has none. Only for
 * a cluster this script has just installed (it holds no data yet): a development set-up.
 */
function allowPasswordlessLoopback(cluster: Cluster): void {
  const hbaFile = `/etc/postgresql/${cluster.version}/${cluster.name}/pg_hba.conf`;
  const rules = 'host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust\n';
  console.log(`New cluster: allowing passwordless login as postgres from 127.0.0.1 in ${hbaFile}`);
  // pg_hba.conf is read top-down, first match wins: the rules go before Debian's defaults.
  writeFileSync(hbaFile, `# added by planmap scripts/ensure-postgis.ts\n${rules}${readFileSync(hbaFile, 'utf8')}`);
}

function installPackages(packages: readonly string[], reason: string, alternative = 'or set DATABASE_URL / TEST_DATABASE_URL to a PostgreSQL with PostGIS'): void {
  const install = ['apt-get', 'install', '-y', ...packages];
  if (!isRoot() || !hasCommand('apt-get')) {
    const how = hasCommand('apt-get') ? `run: ${asRoot(['apt-get', 'update'])} && ${asRoot(install)}` : `install ${packages.join(' ')} or their equivalent`;
    throw new ProvisionError(`${reason}: ${how} (${alternative}).`);
  }
  console.log(`${reason}: installing ${packages.join(' ')} …`);
  // A fresh machine has no package lists yet, and stale ones point at removed versions.
  run(['apt-get', 'update']);
  run(install);
}

async function createDatabaseIfMissing(maintenanceUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, statement_timeout: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    console.log(`Creating database ${name} …`);
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
}

/** Connection strings carry passwords: show them without. */
function redact(url: string): string {
  if (!URL.canParse(url)) return '(unparsable URL)';
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function asRoot(command: readonly string[]): string {
  return (isRoot() ? '' : 'sudo ') + command.join(' ');
}

function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs a command with the terminal attached, so apt's progress and prompts stay visible. */
function run(command: readonly string[]): void {
  const [file, ...args] = command;
  if (!file) throw new Error('empty command');
  const result = spawnSync(file, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) throw new ProvisionError(`\`${command.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
}

function capture(command: readonly string[]): string {
  const [file, ...args] = command;
  if (!file) throw new Error('empty command');
  const result = spawnSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new ProvisionError(`\`${command.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
  return result.stdout;
}

main(process.argv.slice(2), process.env).catch((error: unknown) => {
  const message = error instanceof ProvisionError ? error.message : `unexpected failure: ${error instanceof Error ? error.stack : String(error)}`;
  console.error(`ensure-postgis: ${message}`);
  process.exitCode = 1;
});
