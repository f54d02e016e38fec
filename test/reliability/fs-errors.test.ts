/**
 * Filesystem failures as one line naming the path and the fix: unit checks of the mapping, then a
 * real full disk and a real read-only mount (small tmpfs; skipped, saying why, where mount is not
 * allowed), through the CLI in-process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { cannotRead, fsErrorToMedprobe } from '../../src/util/fs-errors.js';
import { runCliCaptured } from '../helpers/run-cli.js';
import { makeResult } from '../results/make-result.js';

const errno = (code: string, p?: string) => Object.assign(new Error(`${code}: boom`), { code, ...(p ? { path: p } : {}) });

test('a file a reader cannot open: missing gets the caller\'s fix, a folder or no permission the code\'s, other I/O errors name the file', () => {
  const fix = 'fix its path in the CSV';
  assert.equal(cannotRead('/d/a.png', errno('ENOENT'), 'image', fix).oneLine(), `image not found: /d/a.png — ${fix}`);
  assert.match(cannotRead('/d/a.png', errno('EISDIR'), 'image', fix).oneLine(), /^\/d\/a\.png is a folder where a file was expected \(EISDIR\) — pass a file path/);
  assert.match(cannotRead('/d/a.png', errno('EACCES'), 'image', fix).oneLine(), /^permission denied: \/d\/a\.png \(EACCES\)/);
  assert.match(cannotRead('/d/a.png', errno('EIO'), 'image', fix).oneLine(), /^cannot read image \/d\/a\.png: EIO: boom — the file system failed to read it/);
});

test('EACCES, ENOSPC, EROFS and ENOTDIR become one line naming the path and the fix; other errors are left alone', () => {
  assert.match(fsErrorToMedprobe(errno('EACCES', '/srv/cache/x'))!.oneLine(), /^permission denied: \/srv\/cache\/x \(EACCES\) — make it readable\/writable/);
  assert.match(fsErrorToMedprobe(errno('ENOSPC', '/srv/cache/x'))!.oneLine(), /no space left on the disk holding \/srv\/cache\/x \(ENOSPC\) — free space there \(`medprobe cache gc`/);
  assert.match(fsErrorToMedprobe(errno('EROFS', '/mnt/ro/r'))!.oneLine(), /\/mnt\/ro\/r is on a read-only file system \(EROFS\) — point cacheDir/);
  assert.match(fsErrorToMedprobe(errno('ENOTDIR', '/a/b'))!.oneLine(), /\/a\/b: part of this path is a file, not a folder/);
  assert.equal(fsErrorToMedprobe(errno('ECONNREFUSED')), undefined);
  assert.equal(fsErrorToMedprobe(new TypeError('x')), undefined);
});

let dir: string;
let mounted: string[] = [];
let cannotMount: string | undefined;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-fs-errors-'));
  for (const [name, opts] of [['full', 'size=64k'], ['ro', 'size=64k,ro']] as const) {
    const at = path.join(dir, name);
    await fs.mkdir(at);
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', at], { encoding: 'utf8' });
    if (r.status !== 0) {
      cannotMount = `cannot mount a tmpfs here (${(r.stderr || r.error?.message || '').trim().split('\n')[0] || `exit ${r.status}`}); needs root or CAP_SYS_ADMIN`;
      break;
    }
    mounted.push(at);
  }
  await fs.mkdir(path.join(dir, 'results', 'net', 'toy'), { recursive: true });
  await fs.writeFile(path.join(dir, 'results', 'net', 'toy', 'knn.json'), JSON.stringify(makeResult({ model: 'net', dataset: 'toy', protocol: 'knn', metrics: { auroc: 0.9 } })));
});
after(async () => {
  for (const at of mounted) spawnSync('umount', [at]);
  mounted = [];
  await fs.rm(dir, { recursive: true, force: true });
});

// One test for both mounts: runCliCaptured borrows process.stdout, where the runner reports finished tests.
test('a full disk fails with one line naming the file and leaves no temp file; a read-only --out is refused before any work', async (t) => {
  if (cannotMount) return t.skip(cannotMount);
  const target = path.join(dir, 'full', 'big.bin');
  await assert.rejects(writeFileAtomic(target, new Uint8Array(256 << 10)), (e: unknown) => fsErrorToMedprobe(e)?.oneLine().includes(`no space left on the disk holding ${target}`) === true);
  assert.deepEqual(await fs.readdir(path.join(dir, 'full')), []);
  // The whole CLI: a site does not fit in 64 KiB.
  const r = await runCliCaptured(['report', 'results', '--out', 'full/site'], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr.trim().split('\n').at(-1)!, /^medprobe: error: no space left on the disk holding .*full\/site\/.* \(ENOSPC\) — free space there/);

  const ro = await runCliCaptured(['report', 'results', '--out', 'ro/site'], { cwd: dir });
  assert.equal(ro.code, 1, ro.stderr);
  assert.match(ro.stderr.trim(), /^medprobe: error: --out .*ro\/site cannot be written: .*\/ro is on a read-only file system — point --out at a folder you can write to$/);
});
