import { Queue } from 'bullmq';
import { bullConnection, checkRedis, DEFAULT_QUEUE_PREFIX, queueName } from './connection.js';
import type { UnitReturn } from './worker.js';

export interface WorkerStats {
  worker: string;
  active: number;
  completed: number;
  failed: number;
  /** Completed units per second between its first start and last finish (over the retained jobs). */
  unitsPerSecond: number;
  busySeconds: number;
}

export interface KindStatus {
  kind: string;
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  workers: WorkerStats[];
  /** Most recent failures: job id and reason. */
  recentFailures: { id: string; reason: string }[];
  /** Connected workers listening on this kind's queue. */
  connected: number;
}

/** How many finished jobs per state are inspected for per-worker figures. */
const INSPECT = 5000;

/** Counts per unit kind and per worker, from the jobs Redis retains (completed/failed kept 7 days). */
export async function queueStatus(url: string, opts: { prefix?: string; kinds: readonly string[] }): Promise<KindStatus[]> {
  await checkRedis(url);
  const out: KindStatus[] = [];
  for (const kind of opts.kinds) {
    const q = new Queue(queueName(opts.prefix ?? DEFAULT_QUEUE_PREFIX, kind), { connection: bullConnection(url) });
    q.on('error', () => {});
    try {
      const counts = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
      const [completed, failed, active, workers] = await Promise.all([q.getCompleted(0, INSPECT - 1), q.getFailed(0, INSPECT - 1), q.getActive(), q.getWorkers()]);
      const stats = new Map<string, WorkerStats & { first: number; last: number }>();
      const of = (w: string) => {
        let s = stats.get(w);
        if (!s) stats.set(w, (s = { worker: w, active: 0, completed: 0, failed: 0, unitsPerSecond: 0, busySeconds: 0, first: Infinity, last: 0 }));
        return s;
      };
      for (const j of completed) {
        const ret = j.returnvalue as UnitReturn | undefined;
        const s = of(ret?.worker ?? j.processedBy ?? 'unknown');
        s.completed++;
        s.busySeconds += ret?.seconds ?? 0;
        if (j.processedOn) s.first = Math.min(s.first, j.processedOn);
        if (j.finishedOn) s.last = Math.max(s.last, j.finishedOn);
      }
      for (const j of failed) of(j.processedBy ?? 'unknown').failed++;
      for (const j of active) of(j.processedBy ?? 'unknown').active++;
      for (const s of stats.values()) s.unitsPerSecond = s.last > s.first ? s.completed / ((s.last - s.first) / 1000) : 0;
      out.push({
        kind,
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
        workers: [...stats.values()].map(({ first: _f, last: _l, ...s }) => s).sort((a, b) => a.worker.localeCompare(b.worker)),
        recentFailures: failed.slice(0, 5).map((j) => ({ id: j.id ?? '?', reason: (j.failedReason ?? '').split('\n')[0] })),
        connected: workers.length,
      });
    } finally {
      await q.close();
    }
  }
  return out;
}

export function formatQueueStatus(status: readonly KindStatus[]): string[] {
  const lines: string[] = [];
  for (const k of status) {
    lines.push(`${k.kind}: ${k.waiting} waiting · ${k.active} active · ${k.delayed} retrying · ${k.completed} done · ${k.failed} failed · ${k.connected} worker connection(s)`);
    for (const w of k.workers) lines.push(`  ${w.worker}: ${w.active} active, ${w.completed} done, ${w.failed} failed, ${w.unitsPerSecond.toFixed(2)} units/s (${w.busySeconds.toFixed(1)} s busy)`);
    for (const f of k.recentFailures) lines.push(`  failed ${f.id.slice(0, 12)}: ${f.reason}`);
  }
  return lines;
}
