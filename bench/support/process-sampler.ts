import { readFileSync } from 'node:fs';
import { cpuMsOfProcess } from './statement-timeline.js';

/**
 * Samples a running process's peak resident set (VmHWM of /proc/<pid>/status, which the kernel
 * keeps as a high-water mark, so a sample is never below an earlier peak) and its CPU time, every
 * `intervalMs`. Once the process has exited /proc no longer has it, so the last sample stands:
 * whatever the process grows or spends in its last interval is missed. Linux only; elsewhere
 * both stay 0.
 */
export class ProcessSampler {
  private peakRssBytes = 0;
  private cpuMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, intervalMs = 50) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Stops sampling; call when the process has exited. */
  stop(): { peakRssBytes: number; cpuSeconds: number } {
    clearInterval(this.timer);
    return { peakRssBytes: this.peakRssBytes, cpuSeconds: this.cpuMs / 1000 };
  }

  private sample(): void {
    const rss = highWaterMarkBytes(this.pid);
    if (rss !== null) this.peakRssBytes = Math.max(this.peakRssBytes, rss);
    const cpu = cpuMsOfProcess(this.pid);
    if (cpu !== null) this.cpuMs = Math.max(this.cpuMs, cpu);
  }
}

function highWaterMarkBytes(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
