import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { isMedprobeError } from '../../util/errors.js';
import { bullConnection, checkRedis, DEFAULT_QUEUE_PREFIX, queueName } from './connection.js';

/** Runs one unit's job data; throws to fail the attempt (a MedprobeError fails the unit for good). */
export type UnitHandler = (data: unknown, job: { id: string; attemptsMade: number }) => Promise<unknown>;

/** What every completed job stores as its return value: who ran it and how long it took. */
export interface UnitReturn {
  worker: string;
  seconds: number;
  value: unknown;
}

export interface UnitWorkerOptions {
  url: string;
  prefix?: string;
  /** Unit kinds (one BullMQ queue each) this worker takes. */
  kinds: readonly string[];
  handlers: Record<string, UnitHandler>;
  /** Jobs in flight per kind (default 1: an extraction already uses every core through ONNX Runtime). */
  concurrency?: number;
  /**
   * Job lock, ms (default 30 000). A worker that dies holding a job loses the lock after this
   * long, and a live worker's stalled-job check (every lockMs) puts the job back in the queue.
   * It is renewed from a timer, so one ONNX Runtime batch that blocks the event loop longer than
   * this would be taken for a dead worker: keep it well above the slowest batch.
   */
  lockMs?: number;
  /** Shown in `medprobe queue status` (default host:pid). */
  name?: string;
  log?: (line: string) => void;
}

export interface UnitWorkerHandle {
  name: string;
  /** Stop taking jobs; waits for the ones in flight unless `force`. */
  close(force?: boolean): Promise<void>;
}

/** A job dies twice with its worker (killed, OOM) before it is failed as poison. */
const MAX_STALLED = 2;

export async function startUnitWorker(opts: UnitWorkerOptions): Promise<UnitWorkerHandle> {
  await checkRedis(opts.url);
  const name = opts.name ?? `${os.hostname()}:${process.pid}`;
  const prefix = opts.prefix ?? DEFAULT_QUEUE_PREFIX;
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const lockMs = opts.lockMs ?? 30_000;
  const workers = opts.kinds.map((kind) => {
    const handler = opts.handlers[kind];
    if (!handler) throw new Error(`no handler for unit kind '${kind}'`);
    const w = new Worker(
      queueName(prefix, kind),
      async (job: Job): Promise<UnitReturn> => {
        const t0 = performance.now();
        try {
          const value = await handler(job.data, { id: job.id!, attemptsMade: job.attemptsMade });
          return { worker: name, seconds: (performance.now() - t0) / 1000, value };
        } catch (e) {
          // Bad input fails the same way on every worker: report it once instead of retrying.
          if (isMedprobeError(e)) throw new UnrecoverableError(e.oneLine());
          throw e;
        }
      },
      { connection: bullConnection(opts.url), concurrency: opts.concurrency ?? 1, name, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: MAX_STALLED },
    );
    w.on('failed', (job, err) => log(`${name}: ${kind} unit ${job?.id?.slice(0, 12)} failed (attempt ${job?.attemptsMade}): ${err.message.split('\n')[0]}`));
    w.on('error', (err) => log(`${name}: ${kind} worker: ${err.message.split('\n')[0]}`));
    return w;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    name,
    close: async (force = false) => {
      await Promise.all(workers.map((w) => w.close(force)));
    },
  };
}
