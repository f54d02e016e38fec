import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';

/**
 * How long evaluation units took on this host, kept in `<cache>/eval-history.json` so that
 * `run --dry-run` and the run's ETA can say how long the protocols will take. (Extraction speed
 * lives beside it in throughput.json, see models/throughput.ts.) Only measurements live here:
 * a missing or torn file reads as empty, and the next run restores it.
 */

export const EVAL_HISTORY_FILE = 'eval-history.json';
/** Newest records kept: enough for every unit of a large suite, small enough to rewrite per unit. */
const MAX_RECORDS = 2000;

export interface EvalRecord {
  unitKey: string;
  protocol: string;
  modelFingerprint: string;
  host: string;
  /** Samples over all splits of the dataset: what a scaled estimate is proportional to. */
  samples: number;
  seconds: number;
  at: string;
}

interface EvalHistoryFile {
  format: 1;
  records: EvalRecord[];
}

export async function readEvalHistory(cacheDir: string): Promise<EvalRecord[]> {
  try {
    const raw = JSON.parse(await fs.readFile(path.join(cacheDir, EVAL_HISTORY_FILE), 'utf8')) as EvalHistoryFile;
    if (raw && raw.format === 1 && Array.isArray(raw.records)) return raw.records;
  } catch {
    // fall through
  }
  return [];
}

/** Adds a measurement, replacing any earlier one of the same unit on the same host (atomic write). */
export async function recordEvalTime(cacheDir: string, record: EvalRecord): Promise<void> {
  const records = (await readEvalHistory(cacheDir)).filter((r) => !(r.unitKey === record.unitKey && r.host === record.host));
  records.push(record);
  await writeJsonAtomic(path.join(cacheDir, EVAL_HISTORY_FILE), { format: 1, records: records.slice(-MAX_RECORDS) } satisfies EvalHistoryFile);
}

export interface EvalEstimate {
  seconds: number;
  /** `same unit`: this exact unit ran before; `scaled`: the same protocol on this host, scaled by sample count. */
  basis: 'same unit' | 'scaled';
}

/**
 * Expected seconds of an evaluation unit from this host's history: the unit's own last time, else
 * the newest run of the same protocol (same model preferred) scaled linearly by sample count,
 * else undefined ("no history").
 */
export function estimateEval(history: readonly EvalRecord[], unit: { key: string; protocol: string; modelFingerprint: string; samples: number }, host: string): EvalEstimate | undefined {
  const mine = history.filter((r) => r.host === host);
  const same = mine.filter((r) => r.unitKey === unit.key).at(-1);
  if (same) return { seconds: same.seconds, basis: 'same unit' };
  const protocol = mine.filter((r) => r.protocol === unit.protocol && r.samples > 0);
  const ref = protocol.filter((r) => r.modelFingerprint === unit.modelFingerprint).at(-1) ?? protocol.at(-1);
  return ref ? { seconds: (ref.seconds * unit.samples) / ref.samples, basis: 'scaled' } : undefined;
}
