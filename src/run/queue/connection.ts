import { Redis, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import { MedprobeError } from '../../util/errors.js';

/** Default BullMQ queue-name prefix; each unit kind gets its own queue (`medprobe-extract`, `medprobe-eval`). */
export const DEFAULT_QUEUE_PREFIX = 'medprobe';

export function queueName(prefix: string, kind: string): string {
  return `${prefix}-${kind}`;
}

const HINT = 'pass --queue redis://HOST:PORT (or rediss:// for TLS) of a running redis-server';

/** `redis://[user:password@]host[:port][/db]` → ioredis options; anything else is a one-line error. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MedprobeError(`--queue ${url} is not a URL`, { hint: HINT });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new MedprobeError(`--queue ${url}: expected a redis:// or rediss:// URL, got ${u.protocol}//`, { hint: HINT });
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new MedprobeError(`--queue ${url}: database '${u.pathname.slice(1)}' is not a number`, { hint: HINT });
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    connectTimeout: 3000,
  };
}

/**
 * Options for BullMQ's long-lived connections: reconnect with capped backoff (a Redis restart
 * should not kill workers), but each connection attempt times out in seconds.
 */
export function bullConnection(url: string): ConnectionOptions {
  const { host, port, username, password, db, tls, connectTimeout } = redisOptionsFromUrl(url);
  return { host, port, username, password, db, tls, connectTimeout, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 500, 5000) };
}

/**
 * Fail fast before handing the URL to BullMQ, which would retry forever: one connection
 * attempt with a short timeout and no retries, then a PING.
 */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const opts = redisOptionsFromUrl(url);
  const client = new Redis({ ...opts, connectTimeout: timeoutMs, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let lastError: Error | undefined;
  client.on('error', (e: Error) => {
    lastError = e;
  });
  const where = `${opts.host}:${opts.port}`;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs).unref()),
    ]);
  } catch (e) {
    // ioredis reports the socket error (ECONNREFUSED, ENOTFOUND) on 'error' and rejects with a generic message.
    const why = (lastError?.message || (e as Error).message || 'connection failed').split('\n')[0];
    throw new MedprobeError(`cannot reach Redis at ${where} (${why})`, { hint: `start redis-server there or fix --queue ${url}` });
  } finally {
    client.disconnect();
  }
}
