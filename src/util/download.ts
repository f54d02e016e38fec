import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { MedprobeError } from './errors.js';

/**
 * Verified, resumable downloads. Bytes go to `<dest>.part`; the final path appears only after
 * the whole body arrived and its checksum matched (fsync + rename), so no reader ever sees a
 * partial or unverified file at `dest`.
 */

export interface DownloadOptions {
  /** Expected hex MD5 (MedMNIST publishes these). */
  md5?: string;
  /** Expected hex SHA-256 (Hugging Face LFS files). */
  sha256?: string;
  /** Expected Subresource Integrity string, `sha512-<base64>` (npm's `dist.integrity`; sha256/sha384 too). */
  integrity?: string;
  /** Continue an existing `<dest>.part` with a Range request, and keep the part if the transfer breaks. */
  resume?: boolean;
  /** Give up when no byte arrives for this long (ms). Default 60 000. */
  timeoutMs?: number;
  onProgress?: (done: number, total: number | undefined) => void;
  headers?: Record<string, string>;
}

export interface DownloadResult {
  file: string;
  bytes: number;
  md5: string;
  sha256: string;
  /** Bytes reused from an earlier `.part`. */
  resumedFrom: number;
  /** Headers of the final response (after redirects). */
  headers: Record<string, string>;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for fetch failures that mean the host could not be reached (as opposed to an HTTP error). */
export function isNetworkError(e: unknown): boolean {
  return NETWORK_CODES.has(errorCode(e) ?? '') || (e instanceof TypeError && /fetch failed/i.test(e.message));
}

/** The one-line error for a host that cannot be reached (offline, DNS, refused). */
export function unreachableError(url: string, dest: string, e: unknown): MedprobeError {
  const code = errorCode(e) ?? (e as Error).message;
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  return new MedprobeError(`cannot reach ${host} (${code}) to download ${url}`, {
    file: dest,
    hint: `you appear to be offline or the host is blocked; download the file on another machine and pass its local path instead (or copy it to ${dest})`,
    cause: e,
  });
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return undefined;
  }
}

/** `sha512-<base64>` → the node hash name and the expected base64 digest. */
function parseIntegrity(integrity: string, url: string): { algo: 'sha256' | 'sha384' | 'sha512'; digest: string } {
  const m = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$/.exec(integrity.trim());
  if (!m) throw new MedprobeError(`not a Subresource Integrity string: '${integrity}' (for ${url})`, { hint: "use the form npm prints for dist.integrity: 'sha512-<base64>'" });
  return { algo: m[1] as 'sha256' | 'sha384' | 'sha512', digest: m[2] };
}

async function hashInto(file: string, hashes: Hash[]): Promise<void> {
  for await (const chunk of createReadStream(file)) for (const h of hashes) h.update(chunk as Buffer);
}

function headerRecord(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => (out[k] = v));
  return out;
}

/** Download `url` to `dest`, verified. Throws a MedprobeError on HTTP errors, network failure or checksum mismatch. */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(u.protocol);
  } catch {
    throw new MedprobeError(`not an http(s) URL: ${url}`, { file: dest, hint: 'check the URL, base URL or endpoint setting' });
  }
  const sri = opts.integrity === undefined ? undefined : parseIntegrity(opts.integrity, url);
  const part = `${dest}.part`;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  await fs.mkdir(path.dirname(dest), { recursive: true });
  // A stale file at dest must not survive a failed re-download: dest exists only when verified.
  await fs.rm(dest, { force: true });
  if (!opts.resume) await fs.rm(part, { force: true });

  for (let attempt = 0; ; attempt++) {
    const have = opts.resume ? (await sizeOf(part)) ?? 0 : 0;
    const ctrl = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        ctrl.abort();
      }, timeoutMs);
    };
    arm();
    let res: Response;
    try {
      res = await fetch(url, {
        // identity: byte ranges and Content-Length then count the file's own bytes, not a gzip of them.
        headers: { 'accept-encoding': 'identity', ...opts.headers, ...(have > 0 ? { range: `bytes=${have}-` } : {}) },
        redirect: 'follow',
        signal: ctrl.signal,
      });
    } catch (e) {
      clearTimeout(timer);
      if (timedOut) throw new MedprobeError(`no response from ${url} within ${timeoutMs} ms`, { file: dest, hint: 'the server or network is slow; retry, or raise the timeout', cause: e });
      if (isNetworkError(e)) throw unreachableError(url, dest, e);
      throw e;
    }

    // The part is already complete or no longer matches the remote file: start over once.
    if (res.status === 416 && have > 0 && attempt === 0) {
      clearTimeout(timer);
      await res.body?.cancel();
      await fs.rm(part, { force: true });
      continue;
    }
    if (!res.ok) {
      clearTimeout(timer);
      await res.body?.cancel().catch(() => {});
      const hint =
        res.status === 404
          ? 'the URL does not exist (wrong name, size or revision?)'
          : res.status === 401 || res.status === 403
            ? 'access denied; the file may be gated or need a token'
            : 'the server refused or failed; retry later';
      throw new MedprobeError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${url}`, { file: dest, hint });
    }

    let offset = 0;
    if (res.status === 206) {
      const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== have) {
        // A range we did not ask for: we cannot splice it safely.
        clearTimeout(timer);
        await res.body?.cancel();
        await fs.rm(part, { force: true });
        if (attempt > 0) throw new MedprobeError(`server sent an unexpected byte range for ${url}`, { file: dest, hint: 'retry without resuming' });
        continue;
      }
      offset = have;
    }
    // fetch decodes a Content-Encoding the server applied anyway; its Content-Length then counts encoded bytes.
    const encoded = (res.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
    const length = encoded ? NaN : Number(res.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? offset + length : undefined;

    const md5 = createHash('md5');
    const sha256 = createHash('sha256');
    const sriHash = sri && createHash(sri.algo);
    const hashes = sriHash ? [md5, sha256, sriHash] : [md5, sha256];
    if (offset > 0) await hashInto(part, hashes);
    const fh = await fs.open(part, offset > 0 ? 'a' : 'w');
    let done = offset;
    let broke: unknown;
    try {
      if (res.body) {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          arm();
          await fh.write(chunk);
          for (const h of hashes) h.update(chunk);
          done += chunk.length;
          opts.onProgress?.(done, total);
        }
      }
      await fh.sync();
    } catch (e) {
      broke = e;
    } finally {
      clearTimeout(timer);
      await fh.close();
    }
    if (broke !== undefined || (total !== undefined && done !== total)) {
      if (!opts.resume) await fs.rm(part, { force: true });
      const why = timedOut ? `stalled for ${timeoutMs} ms` : broke !== undefined ? (errorCode(broke) ?? (broke as Error).message) : 'connection closed early';
      throw new MedprobeError(`download of ${url} interrupted after ${done}${total !== undefined ? ` of ${total}` : ''} bytes (${why})`, {
        file: dest,
        hint: opts.resume ? 'run the same command again to resume from where it stopped' : 'retry; the partial file was removed',
        cause: broke,
      });
    }

    const got = { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
    for (const algo of ['md5', 'sha256'] as const) {
      const want = opts[algo]?.toLowerCase();
      if (want && want !== got[algo]) {
        await fs.rm(part, { force: true });
        throw new MedprobeError(`checksum mismatch for ${dest}: expected ${algo} ${want}, got ${got[algo]} (from ${url})`, {
          file: dest,
          hint: 'the download is corrupt or the source changed; the file was discarded — retry, or check the mirror/URL',
        });
      }
    }
    if (sri && sriHash) {
      const gotSri = sriHash.digest('base64');
      if (gotSri !== sri.digest) {
        await fs.rm(part, { force: true });
        throw new MedprobeError(`checksum mismatch for ${dest}: expected integrity ${sri.algo}-${sri.digest}, got ${sri.algo}-${gotSri} (from ${url})`, {
          file: dest,
          hint: 'the download is corrupt or the source changed; the file was discarded — retry, or check the mirror/URL',
        });
      }
    }
    await fs.rename(part, dest);
    return { file: dest, bytes: done, ...got, resumedFrom: offset, headers: headerRecord(res.headers) };
  }
}

/**
 * A byte progress bar (MB, MB/s, ETA) on stderr when it is a terminal; a no-op otherwise.
 * Pass `onProgress` to `download` and call `stop` when it settles.
 */
export function terminalByteProgress(label: string): { onProgress: (done: number, total: number | undefined) => void; stop: () => void } {
  if (!process.stderr.isTTY || process.env.MEDPROBE_QUIET === '1') return { onProgress: () => {}, stop: () => {} };
  let bar: cliProgress.SingleBar | undefined;
  const start = performance.now();
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return {
    onProgress(done, total) {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: `${label} |{bar}| {mb}/{totalMb} MB · {rate} MB/s · ETA {eta_formatted}`, hideCursor: true, fps: 5 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total ?? 0, 0, { mb: '0.0', totalMb: total ? mb(total) : '?', rate: '0.0' });
      }
      const secs = Math.max((performance.now() - start) / 1000, 1e-9);
      bar.update(done, { mb: mb(done), rate: mb(done / secs) });
    },
    stop() {
      bar?.stop();
    },
  };
}
