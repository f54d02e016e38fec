import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MedprobeError } from './errors.js';

/**
 * Exclusive lock files (created with O_EXCL), so two processes on one cache (runs, workers,
 * pulls) wait for each other instead of doing the same work twice. The holder refreshes the
 * file's mtime every `heartbeatMs`; a lock is stale, and taken over, when its holder is a dead
 * process on this host, or when nobody refreshed it for `staleMs` (a holder on another host that
 * died, or a reused pid).
 *
 * The lock saves work; it never guards correctness: every cache write is a temp file or
 * directory renamed into place, so two holders (after a mistaken takeover) still write identical,
 * whole entries.
 */
export interface LockInfo {
  pid: number;
  host: string;
  /** Unique per acquisition, so a holder can tell its own lock from a successor's. */
  token: string;
  since: string;
}

export interface LockOptions {
  /** Give up after waiting this long (default: wait as long as the holder is alive). */
  waitMs?: number;
  pollMs?: number;
  heartbeatMs?: number;
  staleMs?: number;
  /** What the lock protects, for the wait message and the give-up error. */
  what?: string;
  /** Called once when this caller starts waiting for another holder. */
  onWait?: (holder: LockInfo | undefined) => void;
}

export const LOCK_HEARTBEAT_MS = 10_000;
export const LOCK_STALE_MS = 120_000;

export async function readLock(lockFile: string): Promise<{ info: LockInfo | undefined; mtimeMs: number } | undefined> {
  let st;
  try {
    st = await fs.stat(lockFile);
  } catch {
    return undefined;
  }
  let info: LockInfo | undefined;
  try {
    const parsed = JSON.parse(await fs.readFile(lockFile, 'utf8')) as LockInfo;
    if (parsed && typeof parsed.pid === 'number' && typeof parsed.host === 'string') info = parsed;
  } catch {
    // being written right now, or torn: judged by its age alone
  }
  return { info, mtimeMs: st.mtimeMs };
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The stale rule: a dead holder on this host, or no heartbeat for `staleMs`. */
export function lockIsStale(lock: { info: LockInfo | undefined; mtimeMs: number }, opts: { staleMs?: number; now?: number } = {}): boolean {
  const { info, mtimeMs } = lock;
  if (info && info.host === os.hostname() && !processAlive(info.pid)) return true;
  return (opts.now ?? Date.now()) - mtimeMs > (opts.staleMs ?? LOCK_STALE_MS);
}

/** Run `fn` holding `lockFile`; waits (polling) while a live holder has it. */
export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const pollMs = opts.pollMs ?? 100;
  const deadline = opts.waitMs === undefined ? Infinity : Date.now() + opts.waitMs;
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  await fs.mkdir(path.dirname(lockFile), { recursive: true });
  let waited = false;
  for (;;) {
    try {
      await fs.writeFile(lockFile, JSON.stringify(mine), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = await readLock(lockFile);
    if (!held) continue; // released between our create and our look
    if (lockIsStale(held, opts)) {
      await fs.rm(lockFile, { force: true });
      continue;
    }
    if (!waited) {
      waited = true;
      opts.onWait?.(held.info);
    }
    if (Date.now() > deadline) {
      const who = held.info ? ` (pid ${held.info.pid} on ${held.info.host})` : '';
      throw new MedprobeError(`${opts.what ?? lockFile} is locked by another medprobe process${who}`, {
        file: lockFile,
        hint: `wait for it to finish, or delete ${lockFile} if no medprobe process is running`,
      });
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockFile, now, now).catch(() => undefined);
  }, opts.heartbeatMs ?? LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    // Remove it only while it is still ours: after a takeover it belongs to the new holder.
    const now = await readLock(lockFile);
    if (now?.info?.token === mine.token) await fs.rm(lockFile, { force: true });
  }
}
