import { readFileSync } from 'node:fs';
import os from 'node:os';
import { MedprobeError } from './errors.js';

/**
 * The one source of "how much memory may this run use": `--memory-budget` (the CLI sets it per
 * command), else `$MEDPROBE_MEMORY_BUDGET` (a size such as `4GB`) or `$MEDPROBE_MEMORY_BUDGET_MB`,
 * else half of what the machine has available now (MemAvailable; os.freemem where there is no
 * /proc/meminfo), leaving room for the data, the cache writes and other processes. Backbone batch
 * sizes (models/batch-memory.ts) and the readers that allocate what a file declares
 * (npz/npy, NIfTI, DICOM: assertWithinMemoryBudget) ask here.
 */
export interface MemoryBudget {
  bytes: number;
  /** Where the number came from, as the plan prints it. */
  source: string;
}

let override: number | undefined;

const UNITS: Record<string, number> = { '': 2 ** 20, b: 1, k: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tb: 2 ** 40, tib: 2 ** 40 };

/** `512MB`, `2GiB`, `1.5g`, `800` (MB) → bytes (binary units: 1 GB = 2^30 bytes, as memory is counted). */
export function parseByteSize(text: string, what = '--memory-budget'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  const bytes = m && unit ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!(bytes > 0)) throw new MedprobeError(`${what} '${text}' is not a memory size`, { hint: 'give a size such as 512MB, 4GB or 1.5GiB (a plain number is MB)' });
  return bytes;
}

/** Set (or, with undefined, clear) the budget for this process; the CLI calls it for each command. */
export function setMemoryBudget(bytes: number | undefined): void {
  override = bytes;
}

export function memoryBudget(): MemoryBudget {
  if (override !== undefined) return { bytes: override, source: '--memory-budget' };
  if (process.env.MEDPROBE_MEMORY_BUDGET) return { bytes: parseByteSize(process.env.MEDPROBE_MEMORY_BUDGET, '$MEDPROBE_MEMORY_BUDGET'), source: '$MEDPROBE_MEMORY_BUDGET' };
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

/** 1.2 GiB, 512 MiB, 40 KiB: sizes in the unit a reader would pick. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(0)} MiB`;
  return `${Math.ceil(n / 2 ** 10)} KiB`;
}

/**
 * Refuse, before allocating, a file (or a DICOM series folder) whose declared contents need more
 * memory than the budget: one line naming it, what it declares, and how to raise the budget.
 * `otherwise` says what the declaration means when it is not genuine.
 */
export function assertWithinMemoryBudget(file: string, needBytes: number, declares: string, otherwise = 'a small file declaring this much is damaged or hostile'): void {
  const { bytes: budget, source } = memoryBudget();
  if (!(needBytes <= budget)) {
    throw new MedprobeError(`${file} declares ${declares}, which needs ${formatBytes(needBytes)} of memory to read, more than the ${formatBytes(budget)} memory budget (${source})`, {
      file,
      hint: `if it is genuine, raise the budget (--memory-budget ${needBytes * 1.25 >= 2 ** 30 ? `${Math.ceil((needBytes * 1.25) / 2 ** 30)}GB` : `${Math.ceil((needBytes * 1.25) / 2 ** 20)}MB`}, or $MEDPROBE_MEMORY_BUDGET) on a machine that has the memory; ${otherwise}`,
    });
  }
}
