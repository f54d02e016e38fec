import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { download, isNetworkError, terminalByteProgress, unreachableError } from '../util/download.js';
import { withFileLock } from '../util/lock.js';
import { MedprobeError } from '../util/errors.js';
import { hashFile } from '../util/hash.js';
import { defaultCacheDir, safeSegment } from '../util/paths.js';

/**
 * Pulls a transformers.js-layout model folder from a Hugging Face–compatible hub into
 * `<cache>/models/<repoId>/<revision>/`, resumable and verified:
 * - the hub's HEAD on `/resolve/` carries `x-linked-etag` (LFS files: the sha256 of the
 *   content) or `etag` (small files: the git blob sha1); we verify whichever it is;
 * - `medprobe-download.json` (sha256 + size per file) is written last and atomically, so a
 *   folder without a complete manifest is unfinished and the next pull resumes it.
 * Nothing here touches the network unless `pullHubModel` is called.
 */

export const DEFAULT_HUB_FILES: readonly string[] = ['config.json', 'preprocessor_config.json', 'onnx/model.onnx'];
export const HUB_MANIFEST = 'medprobe-download.json';

export interface PullHubModelOptions {
  /** medprobe cache root (default `$MEDPROBE_CACHE` or `~/.cache/medprobe`). */
  cacheDir?: string;
  endpoint?: string;
  revision?: string;
  /** Repo-relative files; default config.json, preprocessor_config.json, onnx/model.onnx. Add e.g. `onnx/model_quantized.onnx`. */
  files?: string[];
  /** Bearer token for gated/private repos (default `$HF_TOKEN`). */
  token?: string;
  timeoutMs?: number;
  onProgress?: (file: string, done: number, total: number | undefined) => void;
}

export type HubVerification = 'lfs-sha256' | 'git-blob-sha1' | 'unverified';

export interface HubManifestFile {
  sha256: string;
  size: number;
  /** What the download was checked against: the hub's LFS sha256, its git blob sha1, or nothing (no usable etag). */
  verified: HubVerification;
  etag?: string;
}

export interface HubManifest {
  format: 1;
  repoId: string;
  revision: string;
  endpoint: string;
  /** `x-repo-commit` of the last pull, when the hub sends it. */
  commit?: string;
  files: Record<string, HubManifestFile>;
}

/** The folder a pull fills: `<cache>/models/<repoId>/<revision>/`. */
export function hubModelDir(repoId: string, opts: { cacheDir?: string; revision?: string } = {}): string {
  return path.join(opts.cacheDir ?? defaultCacheDir(), 'models', ...repoId.split('/').map(safeSegment), safeSegment(opts.revision ?? 'main'));
}

function checkInputs(repoId: string, files: readonly string[]): void {
  if (!/^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(repoId) || repoId.includes('..')) {
    throw new MedprobeError(`not a hub repo id: '${repoId}'`, { hint: "use 'owner/name', e.g. onnx-community/dinov2-small" });
  }
  for (const f of files) {
    if (!f || path.isAbsolute(f) || f.split('/').some((s) => s === '..' || s === '' || s === '.')) {
      throw new MedprobeError(`not a repo-relative file path: '${f}'`, { hint: 'list files as they appear in the repo, e.g. onnx/model.onnx' });
    }
  }
}

async function readManifest(dir: string): Promise<HubManifest | undefined> {
  try {
    const m = JSON.parse(await fs.readFile(path.join(dir, HUB_MANIFEST), 'utf8')) as HubManifest;
    return m && m.format === 1 && m.files && typeof m.files === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Every requested file is in the manifest and on disk with the recorded size. */
async function manifestCovers(dir: string, m: HubManifest | undefined, files: readonly string[]): Promise<boolean> {
  if (!m) return false;
  for (const f of files) {
    const e = m.files[f];
    if (!e) return false;
    try {
      if ((await fs.stat(path.join(dir, f))).size !== e.size) return false;
    } catch {
      return false;
    }
  }
  return true;
}

interface RemoteMeta {
  etag?: string;
  size?: number;
  commit?: string;
}

function normaliseEtag(raw: string | null): string | undefined {
  if (!raw) return undefined;
  return raw.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
}

/**
 * HEAD on the resolve URL without following cross-host redirects: the hub answers LFS files
 * with a redirect to a CDN whose own headers do not describe the repo file, so the metadata is
 * read from the first response that has an etag (same-host redirects — renamed repos — are followed).
 */
async function headMeta(url: string, headers: Record<string, string>, dest: string, timeoutMs: number): Promise<RemoteMeta> {
  let current = url;
  for (let hop = 0; hop < 6; hop++) {
    let res: Response;
    try {
      res = await fetch(current, { method: 'HEAD', redirect: 'manual', headers: { ...headers, 'accept-encoding': 'identity' }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      if (isNetworkError(e)) throw unreachableError(current, dest, e);
      throw new MedprobeError(`no response from ${current} within ${timeoutMs} ms`, { file: dest, hint: 'the hub or network is slow; retry', cause: e });
    }
    const etag = normaliseEtag(res.headers.get('x-linked-etag') ?? res.headers.get('etag'));
    const sizeHeader = res.headers.get('x-linked-size') ?? (res.status === 200 ? res.headers.get('content-length') : null);
    const meta: RemoteMeta = { etag, size: sizeHeader ? Number(sizeHeader) : undefined, commit: res.headers.get('x-repo-commit') ?? undefined };
    if (res.status >= 300 && res.status < 400) {
      const loc = res.headers.get('location');
      if (etag || !loc) return meta;
      const next = new URL(loc, current);
      if (next.host !== new URL(current).host) return meta;
      current = next.toString();
      continue;
    }
    if (!res.ok) {
      const hint =
        res.status === 404
          ? 'check the repo id, revision and file name (transformers.js repos keep weights under onnx/)'
          : res.status === 401 || res.status === 403
            ? 'the repo is gated or private: accept its licence on the hub and set HF_TOKEN'
            : 'the hub refused or failed; retry later';
      throw new MedprobeError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${current}`, { file: dest, hint });
    }
    return meta;
  }
  throw new MedprobeError(`too many redirects for ${url}`, { file: dest, hint: 'the server redirects in a loop; try again later or use another mirror (--endpoint)' });
}

async function gitBlobSha1(file: string): Promise<string> {
  const size = (await fs.stat(file)).size;
  const h = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** How an etag can be checked: a 64-hex LFS sha256, a 40-hex git blob sha1, or not at all. */
function verificationFor(etag: string | undefined): HubVerification {
  if (etag && /^[0-9a-f]{64}$/.test(etag)) return 'lfs-sha256';
  if (etag && /^[0-9a-f]{40}$/.test(etag)) return 'git-blob-sha1';
  return 'unverified';
}

/** Does a file already on disk match the hub's etag? */
async function matchesEtag(file: string, etag: string | undefined): Promise<boolean> {
  const kind = verificationFor(etag);
  try {
    await fs.access(file);
  } catch {
    return false;
  }
  if (kind === 'lfs-sha256') return (await hashFile(file, 'sha256')) === etag;
  if (kind === 'git-blob-sha1') return (await gitBlobSha1(file)) === etag;
  return false;
}

/**
 * Download (or finish downloading) a hub model folder and return its path. A folder whose
 * manifest already lists every requested file is returned without any network access.
 */
export async function pullHubModel(repoId: string, opts: PullHubModelOptions = {}): Promise<string> {
  const endpoint = (opts.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  const revision = opts.revision ?? 'main';
  const files = [...new Set(opts.files ?? DEFAULT_HUB_FILES)];
  checkInputs(repoId, files);
  const dir = hubModelDir(repoId, { cacheDir: opts.cacheDir, revision });
  if (await manifestCovers(dir, await readManifest(dir), files)) return dir;
  return withFileLock(`${dir}.lock`, () => pullLocked(repoId, dir, endpoint, revision, files, opts), { what: `the download of ${repoId}`, waitMs: 30 * 60_000 });
}

async function pullLocked(repoId: string, dir: string, endpoint: string, revision: string, files: string[], opts: PullHubModelOptions): Promise<string> {
  const previous = await readManifest(dir);
  if (await manifestCovers(dir, previous, files)) return dir; // another pull finished it while we waited

  const token = opts.token ?? process.env.HF_TOKEN;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const timeoutMs = opts.timeoutMs ?? 60_000;
  // Keep what an earlier pull of the same revision recorded for files not requested now.
  const sameSource = previous && previous.endpoint === endpoint && previous.repoId === repoId && previous.revision === revision;
  const manifest: HubManifest = { format: 1, repoId, revision, endpoint, files: sameSource ? { ...previous.files } : {} };

  for (const file of files) {
    const url = `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
    const dest = path.join(dir, ...file.split('/'));
    const meta = await headMeta(url, headers, dest, timeoutMs);
    if (meta.commit) manifest.commit = meta.commit;
    const verified = verificationFor(meta.etag);
    if (!(await matchesEtag(dest, meta.etag))) {
      const bar = opts.onProgress ? undefined : terminalByteProgress(`${repoId}/${file}`);
      try {
        await download(url, dest, {
          sha256: verified === 'lfs-sha256' ? meta.etag : undefined,
          resume: true,
          headers,
          timeoutMs,
          onProgress: opts.onProgress ? (d, t) => opts.onProgress!(file, d, t) : bar?.onProgress,
        });
      } finally {
        bar?.stop();
      }
      if (verified === 'git-blob-sha1') {
        const got = await gitBlobSha1(dest);
        if (got !== meta.etag) {
          await fs.rm(dest, { force: true });
          throw new MedprobeError(`checksum mismatch for ${dest}: expected git blob sha1 ${meta.etag}, got ${got} (from ${url})`, {
            file: dest,
            hint: 'the download is corrupt or the revision moved; the file was discarded — pull again',
          });
        }
      }
    }
    const size = (await fs.stat(dest)).size;
    if (meta.size !== undefined && Number.isFinite(meta.size) && meta.size !== size) {
      await fs.rm(dest, { force: true });
      throw new MedprobeError(`size mismatch for ${dest}: hub says ${meta.size} bytes, got ${size} (from ${url})`, { file: dest, hint: 'pull again; the file was discarded' });
    }
    const sha256 = verified === 'lfs-sha256' ? meta.etag! : await hashFile(dest, 'sha256');
    manifest.files[file] = { sha256, size, verified, ...(meta.etag ? { etag: meta.etag } : {}) };
  }
  await writeJsonAtomic(path.join(dir, HUB_MANIFEST), manifest);
  return dir;
}
