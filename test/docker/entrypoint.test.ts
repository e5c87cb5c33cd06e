import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { projectRoot } from '../../core/project-root.js';
import { sampleFixture } from '../support/sample-fixture.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const ENTRYPOINT = join(projectRoot, 'docker', 'entrypoint.sh');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs docker/entrypoint.sh itself with bash, as the image does; `onStderr` sees its messages
 * as they come.
 */
function runEntrypoint(args: readonly string[], env: Record<string, string | undefined>, onStderr: (text: string) => void = () => undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const environment: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
    for (const [key, value] of Object.entries(env)) if (value !== undefined) environment[key] = value;
    const child = spawn('bash', [ENTRYPOINT, ...args], { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A local port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const PRINT_ARGS = ['node', '-e', 'console.log("command ran: " + process.argv.slice(1).join(" "))', 'a', 'b'];

describe('docker/entrypoint.sh', function () {
  this.timeout(60_000);

  it('passes shellcheck', async () => {
    try {
      await promisify(execFile)('shellcheck', ['--shell=bash', ENTRYPOINT]);
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stdout?: string };
      if (failure.code === 'ENOENT') throw new Error('shellcheck is not installed (Debian: apt-get install -y shellcheck)');
      throw new Error(`shellcheck found problems in docker/entrypoint.sh:\n${failure.stdout ?? failure.message}`);
    }
  });

  describe('given a reachable DATABASE_URL', () => {
    it('checks the database, then runs the command with its arguments', async () => {
      const run = await runEntrypoint(PRINT_ARGS, { DATABASE_URL: sampleFixture().config.databaseUrl });
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr).to.match(/database 127\.0\.0\.1:5432\/\S+ is ready/);
      expect(run.stdout).to.equal('command ran: a b\n');
    });
  });

  describe('given a database that comes up while the entrypoint waits', () => {
    it('waits for it, then runs the command', async () => {
      const port = await closedPort();
      const target = new URL(sampleFixture().config.databaseUrl);
      const url = new URL(sampleFixture().config.databaseUrl);
      url.port = String(port);
      const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
      proxy.port = port;
      let proxyStarted: Promise<void> | undefined;
      try {
        const run = await runEntrypoint(PRINT_ARGS, { DATABASE_URL: url.toString(), DATABASE_WAIT_SECONDS: '30' }, (stderr) => {
          // The first refusal is reported; then the database "starts".
          if (!proxyStarted && stderr.includes('waiting for the database')) proxyStarted = proxy.start();
        });
        expect(run.code, run.stderr).to.equal(0);
        expect(run.stderr).to.contain(`waiting for the database 127.0.0.1:${port}/`);
        expect(run.stdout).to.equal('command ran: a b\n');
      } finally {
        await proxyStarted;
        await proxy.stop();
      }
    });
  });

  describe('given a database that never answers', () => {
    it('gives up after DATABASE_WAIT_SECONDS with exit code 69, naming the database but not its password, and does not run the command', async () => {
      const port = await closedPort();
      const run = await runEntrypoint(PRINT_ARGS, { DATABASE_URL: `postgres://planmap:s3cret-password@127.0.0.1:${port}/planmap`, DATABASE_WAIT_SECONDS: '2' });
      expect(run.code).to.equal(69);
      expect(run.stderr).to.contain(`the database 127.0.0.1:${port}/planmap did not accept connections within 2 s`);
      expect(run.stderr).to.contain('ECONNREFUSED');
      expect(run.stderr + run.stdout).to.not.contain('s3cret-password');
      expect(run.stdout).to.equal('');
    });
  });

  describe('given DATABASE_WAIT_SECONDS that is not a number', () => {
    it('refuses with exit code 64, naming the variable', async () => {
      const run = await runEntrypoint(PRINT_ARGS, { DATABASE_URL: sampleFixture().config.databaseUrl, DATABASE_WAIT_SECONDS: 'ten' });
      expect(run.code).to.equal(64);
      expect(run.stderr).to.contain('DATABASE_WAIT_SECONDS must be a whole number of seconds, not "ten"');
      expect(run.stdout).to.equal('');
    });
  });

  describe('given no DATABASE_URL', () => {
    it('waits for nothing (the embedded database) and runs the command', async () => {
      const run = await runEntrypoint(PRINT_ARGS, {});
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr).to.contain('no DATABASE_URL: the server uses its embedded database');
      expect(run.stdout).to.equal('command ran: a b\n');
    });
  });

  describe('given no command', () => {
    it('runs the compiled server of the app folder (dist/server/main.js), replacing the shell', async () => {
      const appDir = await mkdtemp(join(tmpdir(), 'planmap-entrypoint-'));
      try {
        // An app folder laid out like the image's, whose "server" reports how it was started.
        await mkdir(join(appDir, 'dist', 'server'), { recursive: true });
        await mkdir(join(appDir, 'docker'), { recursive: true });
        await writeFile(join(appDir, 'dist', 'server', 'main.js'), 'console.log(`server started as ${process.argv[1]}, parent is a shell: ${require("node:fs").readFileSync(`/proc/${process.ppid}/comm`, "utf8").trim() === "bash"}`);\n');
        const run = await runEntrypoint([], { PLANMAP_APP_DIR: appDir });
        expect(run.code, run.stderr).to.equal(0);
        expect(run.stdout).to.equal(`server started as ${join(appDir, 'dist', 'server', 'main.js')}, parent is a shell: false\n`);
      } finally {
        await rm(appDir, { recursive: true, force: true });
      }
    });
  });
});
