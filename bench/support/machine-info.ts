import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { Pool } from '../../core/db/pool.js';

/** What a reader needs to compare two runs of the benchmark. */
export interface MachineInfo {
  readonly cpuCount: number;
  readonly cpuModel: string;
  readonly memoryGib: number;
  readonly os: string;
  readonly nodeVersion: string;
  readonly postgresVersion: string;
  readonly postgisVersion: string;
  /** 1, 5 and 15 minute load averages when the run began: other work on the machine skews it. */
  readonly loadAverage: readonly number[];
}

export async function collectMachineInfo(pool: Pool): Promise<MachineInfo> {
  const { rows } = await pool.query<{ postgres: string; postgis: string }>(
    `SELECT current_setting('server_version') AS postgres, postgis_lib_version() AS postgis`,
  );
  const processors = cpus();
  return {
    cpuCount: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    memoryGib: totalmem() / 2 ** 30,
    os: `${platform()} ${release()}`,
    nodeVersion: process.version,
    postgresVersion: rows[0]?.postgres ?? 'unknown',
    postgisVersion: rows[0]?.postgis ?? 'unknown',
    loadAverage: loadavg(),
  };
}

/** `key: value` lines, printed above the tables. */
export function formatMachineInfo(info: MachineInfo, run: Readonly<Record<string, string | number>>): string {
  const lines: [string, string | number][] = [
    ['cpus', `${info.cpuCount} x ${info.cpuModel}`],
    ['memory', `${info.memoryGib.toFixed(1)} GiB`],
    ['os', info.os],
    ['node', info.nodeVersion],
    ['postgresql', `${info.postgresVersion} (PostGIS ${info.postgisVersion})`],
    ['load before', info.loadAverage.map((load) => load.toFixed(2)).join(' ')],
    ...Object.entries(run),
  ];
  const width = Math.max(...lines.map(([key]) => key.length));
  return lines.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${value}`).join('\n');
}
