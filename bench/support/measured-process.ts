import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ProcessSampler } from './process-sampler.js';

export interface MeasuredProcess {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit. */
  readonly seconds: number;
  /** Sampled VmHWM and CPU time (see ProcessSampler). */
  readonly sampledPeakRssBytes: number;
  readonly sampledCpuSeconds: number;
}

export interface MeasuredProcessOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

/**
 * Runs a program to its end, timing it and sampling its memory and CPU. Its stderr is passed on
 * to ours as it comes (warnings, the child's log) and kept; stdout is kept. A non-zero exit code
 * is the caller's to judge; aborting `signal` stops the program (SIGTERM) and rejects.
 */
export function runMeasured(path: string, args: readonly string[], { env, cwd, signal }: MeasuredProcessOptions): Promise<MeasuredProcess> {
  return new Promise((resolve, reject) => {
    const startedMs = performance.now();
    const child = spawn(path, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    const sampler = child.pid === undefined ? null : new ProcessSampler(child.pid);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      process.stderr.write(chunk);
    });
    // An abort kills the child and emits 'error' (an AbortError): reject with the abort's reason.
    child.once('error', (error) => {
      sampler?.stop();
      reject(signal?.aborted ? signal.reason : error);
    });
    child.once('close', (code, killedBy) => {
      const seconds = (performance.now() - startedMs) / 1000;
      const sampled = sampler?.stop() ?? { peakRssBytes: 0, cpuSeconds: 0 };
      if (signal?.aborted) return reject(signal.reason);
      if (code === null) return reject(new Error(`${path} was killed by ${killedBy}`));
      resolve({
        exitCode: code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        seconds,
        sampledPeakRssBytes: sampled.peakRssBytes,
        sampledCpuSeconds: sampled.cpuSeconds,
      });
    });
  });
}
