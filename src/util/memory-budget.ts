import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * The one source of "how much memory may this run use": `$MEDPROBE_MEMORY_BUDGET_MB`, else half
 * of what the machine has available now (MemAvailable; os.freemem where there is no
 * /proc/meminfo), leaving room for the data, the cache writes and other processes. Backbone batch
 * sizes (models/batch-memory.ts) and any reader that sizes its buffers ask here.
 */
export interface MemoryBudget {
  bytes: number;
  /** Where the number came from, as the plan prints it. */
  source: string;
}

export function memoryBudget(): MemoryBudget {
  const env = Number(process.env.MEDPROBE_MEMORY_BUDGET_MB ?? 0);
  if (Number.isFinite(env) && env > 0) return { bytes: Math.floor(env * 2 ** 20), source: '$MEDPROBE_MEMORY_BUDGET_MB' };
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return { bytes: Math.floor((Number(m[1]) * 1024) / 2), source: 'half of MemAvailable' };
  } catch {
    // not Linux
  }
  return { bytes: Math.floor(os.freemem() / 2), source: 'half of free memory' };
}

export function memoryBudgetBytes(): number {
  return memoryBudget().bytes;
}
