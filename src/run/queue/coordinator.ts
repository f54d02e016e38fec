import { Job, Queue, type JobsOptions } from 'bullmq';
import { bullConnection, checkRedis, DEFAULT_QUEUE_PREFIX, queueName } from './connection.js';
import type { UnitReturn } from './worker.js';

/** One unit to run on the queue. Its key is the BullMQ job id, so enqueueing it twice is one job. */
export interface QueuedUnit {
  key: string;
  kind: string;
  data: unknown;
  /** Keys of units that must complete first; if one fails, this one is reported failed unrun. */
  after?: readonly string[];
}

export interface QueueProgress {
  total: number;
  completed: number;
  failed: number;
  /** Completed units per second since the first enqueue. */
  rate: number;
  /** The unit that just finished, when one did. */
  last?: { key: string; kind: string; ok: boolean; detail: string; worker?: string; seconds?: number };
}

export interface QueueRunOptions {
  url: string;
  prefix?: string;
  /** Attempts per unit for errors that may pass (default 3), with exponential backoff from backoffMs (default 2000). */
  attempts?: number;
  backoffMs?: number;
  pollMs?: number;
  onProgress?: (p: QueueProgress) => void;
  /**
   * Whether a unit's output is on disk. A job found already completed under a unit's key (it
   * finished after the caller planned) is adopted when this says yes, or when it is not given,
   * and rerun otherwise (its output was deleted since).
   */
  outputExists?: (unit: QueuedUnit) => Promise<boolean>;
  /** Stop waiting (Ctrl-C): queued units stay queued and workers keep running them. */
  signal?: AbortSignal;
}

export interface QueueRunOutcome {
  completed: Map<string, UnitReturn>;
  failed: Map<string, string>;
  /** True when `signal` stopped the wait before every unit finished. */
  aborted: boolean;
}

const FINAL_KEEP = { age: 7 * 24 * 3600, count: 100_000 };

/**
 * Enqueue units (each once its `after` units completed) and wait until every one completed or
 * failed. Units already queued, running or completed under the same key (an earlier coordinator
 * that was stopped, a unit that finished after the caller planned) are adopted, not duplicated;
 * a failed job, or a completed one whose output `outputExists` says is gone, is replaced.
 */
export async function runUnitsOnQueue(units: readonly QueuedUnit[], opts: QueueRunOptions): Promise<QueueRunOutcome> {
  await checkRedis(opts.url);
  const prefix = opts.prefix ?? DEFAULT_QUEUE_PREFIX;
  const jobOpts: JobsOptions = {
    attempts: opts.attempts ?? 3,
    backoff: { type: 'exponential', delay: opts.backoffMs ?? 2000 },
    removeOnComplete: FINAL_KEEP,
    removeOnFail: FINAL_KEEP,
  };
  const queues = new Map<string, Queue>();
  const queueOf = (kind: string): Queue => {
    let q = queues.get(kind);
    if (!q) {
      q = new Queue(queueName(prefix, kind), { connection: bullConnection(opts.url) });
      q.on('error', () => {}); // connection errors surface as rejected calls below
      queues.set(kind, q);
    }
    return q;
  };
  const outcome: QueueRunOutcome = { completed: new Map(), failed: new Map(), aborted: false };
  const byKey = new Map(units.map((u) => [u.key, u]));
  const enqueued = new Set<string>();
  const t0 = performance.now();
  const report = (last?: QueueProgress['last']): void =>
    opts.onProgress?.({ total: units.length, completed: outcome.completed.size, failed: outcome.failed.size, rate: outcome.completed.size / Math.max((performance.now() - t0) / 1000, 1e-9), last });

  const enqueue = async (u: QueuedUnit): Promise<void> => {
    const q = queueOf(u.kind);
    const state = await q.getJobState(u.key);
    enqueued.add(u.key);
    if (state === 'completed' && (!opts.outputExists || (await opts.outputExists(u)))) return; // adopted: the poll below collects it
    if (state === 'completed' || state === 'failed') await q.remove(u.key);
    if (state === 'unknown' || state === 'completed' || state === 'failed') await q.add(u.kind, u.data, { ...jobOpts, jobId: u.key });
  };
  const settle = (u: QueuedUnit, ok: boolean, detail: string, ret?: UnitReturn): void => {
    if (ok) outcome.completed.set(u.key, ret!);
    else outcome.failed.set(u.key, detail);
    report({ key: u.key, kind: u.kind, ok, detail, worker: ret?.worker, seconds: ret?.seconds });
  };
  const isFinal = (k: string): boolean => outcome.completed.has(k) || outcome.failed.has(k);

  try {
    const chunk = 200;
    while (!isAllFinal()) {
      if (opts.signal?.aborted) {
        outcome.aborted = true;
        break;
      }
      // Release units whose prerequisites are done; fail those whose prerequisites failed.
      const ready: QueuedUnit[] = [];
      for (const u of units) {
        if (enqueued.has(u.key) || isFinal(u.key)) continue;
        const deps = (u.after ?? []).filter((d) => byKey.has(d)); // others were done before this run
        const bad = deps.find((d) => outcome.failed.has(d));
        if (bad) settle(u, false, `not run: unit ${bad.slice(0, 12)} it depends on failed`);
        else if (deps.every((d) => outcome.completed.has(d))) ready.push(u);
      }
      for (let i = 0; i < ready.length; i += chunk) await Promise.all(ready.slice(i, i + chunk).map(enqueue));

      const pending = [...enqueued].filter((k) => !isFinal(k));
      for (let i = 0; i < pending.length; i += chunk) {
        await Promise.all(
          pending.slice(i, i + chunk).map(async (key) => {
            const u = byKey.get(key)!;
            const q = queueOf(u.kind);
            const state = await q.getJobState(key);
            if (state === 'completed') {
              const job = await Job.fromId(q, key);
              settle(u, true, 'done', job?.returnvalue as UnitReturn);
            } else if (state === 'failed') {
              const job = await Job.fromId(q, key);
              settle(u, false, job?.failedReason ?? 'failed');
            } else if (state === 'unknown') {
              // Removed behind our back (queue obliterated): put it back.
              await q.add(u.kind, u.data, { ...jobOpts, jobId: key });
            }
          }),
        );
      }
      if (!isAllFinal()) await sleep(opts.pollMs ?? 250, opts.signal);
    }
  } finally {
    await Promise.all([...queues.values()].map((q) => q.close()));
  }
  return outcome;

  function isAllFinal(): boolean {
    return outcome.completed.size + outcome.failed.size === units.length;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
