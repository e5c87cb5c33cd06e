import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../core/project-root.js';

/** One line of the server's JSON log (pino), or `{ msg }` holding a line that was not JSON. */
export interface LogLine {
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export interface ServerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * The server as operators run it: `server/main.ts` (what `npm start` runs) in a process of its
 * own, with its JSON log read line by line so that a test can wait for what it logs. The
 * environment gives DATABASE_URL, CONFIG_FILE and the like; the port is chosen by the system
 * and read from the `planmap listening` line.
 */
export class ServerProcess {
  baseUrl = '';
  readonly lines: LogLine[] = [];
  readonly exited: Promise<ServerExit>;
  private readonly waiters: { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  /** The end of stderr, for the message of a server that exits before the line awaited. */
  private stderrTail = '';

  private constructor(readonly child: ChildProcess) {
    this.exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      this.lines.push(line);
      for (const waiter of [...this.waiters]) {
        if (!waiter.predicate(line)) continue;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
    });
  }

  /** Starts a server and resolves once it listens; rejects, with its stderr, when it exits first. */
  static async start(env: Record<string, string>): Promise<ServerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'server', 'main.ts')], {
      cwd: projectRoot,
      env: { ...process.env, LOG_LEVEL: 'info', ...env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child);
    const listening = await server.waitForLog('planmap listening');
    server.baseUrl = `http://127.0.0.1:${String(listening.port)}`;
    return server;
  }

  /**
   * The first log line from line number `after` on (already written or to come) that
   * matches; rejects when the server exits first, with the end of its log and stderr.
   */
  logged(predicate: (line: LogLine) => boolean, after = 0): Promise<LogLine> {
    const seen = this.lines.slice(after).find(predicate);
    if (seen) return Promise.resolve(seen);
    const logged = new Promise<LogLine>((resolve) => this.waiters.push({ predicate, resolve }));
    const exited = this.exited.then(({ code, signal }) => {
      throw new Error(`the server exited (${String(code ?? signal)}) before the log line awaited: ${this.stderrTail} ${JSON.stringify(this.lines.slice(-5))}`);
    });
    return Promise.race([logged, exited]);
  }

  /** The first log line with this message. */
  waitForLog(msg: string): Promise<LogLine> {
    return this.logged((line) => line.msg === msg);
  }

  /** How many lines were logged so far: a mark for `logged(predicate, mark)`. */
  get lineCount(): number {
    return this.lines.length;
  }

  /** SIGTERM, then waits for the exit; nothing when it has exited already. */
  async stop(): Promise<ServerExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}
