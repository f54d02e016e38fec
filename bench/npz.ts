// npz member inflation: node:zlib (what src/data/npz.ts uses) against fflate, the pure-JS
// alternative, on the same member in the same run. Prints times and ratios vs zlib.
// Run: npm run bench:npz  (uses ../shared/data/medmnist/adrenalmnist3d_64.npz when present,
// plus a generated pneumonia-like member that needs no data).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inflate, inflateSync, unzipSync, zipSync } from 'fflate';
import { openNpz } from '../src/data/npz.js';
import { encodeNpy } from '../src/util/npy.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const real = path.resolve(root, '../shared/data/medmnist/adrenalmnist3d_64.npz');

function time(fn: () => unknown, reps = 3): number {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

async function timeAsync(fn: () => Promise<unknown>, reps = 3): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

/** Raw deflate stream + sizes of the first member, read from the local header. */
function firstMember(zip: Uint8Array): { comp: Uint8Array; size: number } {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const compSize = v.getUint32(18, true);
  const size = v.getUint32(22, true);
  const start = 30 + v.getUint16(26, true) + v.getUint16(28, true);
  return { comp: zip.subarray(start, start + compSize), size };
}

async function bench(label: string, file: string, key: string): Promise<void> {
  const zip = readFileSync(file);
  const { comp, size } = firstMember(zip);
  const npz = await openNpz(file);
  const zlibMs = await timeAsync(() => npz.read(key));
  const syncMs = time(() => inflateSync(comp, { out: new Uint8Array(size) }));
  const streamMs = time(() => {
    const inf = new Inflate(() => {});
    inf.push(comp, true);
  });
  const unzipMs = time(() => unzipSync(zip));
  console.log(`${label}: member ${key} ${(comp.length / 1e6).toFixed(1)} MB → ${(size / 1e6).toFixed(1)} MB`);
  console.log(`  node:zlib stream (openNpz.read) ${zlibMs.toFixed(0)} ms  (baseline 1.00×)`);
  console.log(`  fflate inflateSync              ${syncMs.toFixed(0)} ms  (${(syncMs / zlibMs).toFixed(2)}× zlib)`);
  console.log(`  fflate Inflate stream           ${streamMs.toFixed(0)} ms  (${(streamMs / zlibMs).toFixed(2)}× zlib)`);
  console.log(`  fflate unzipSync (whole file)   ${unzipMs.toFixed(0)} ms  (${(unzipMs / zlibMs).toFixed(2)}× zlib, all members)`);
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-npz-'));
try {
  // 20k noisy 28×28 gradients (~1.4× compressible): a member that is mostly entropy, unlike the masks of adrenalmnist3d.
  const n = 20_000;
  const images = new Uint8Array(n * 784);
  let s = 12345;
  for (let i = 0; i < images.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    images[i] = (((i % 28) * 4 + ((i / 28) | 0) % 28 * 3) & 0xff) ^ ((s >>> 24) & 0x07);
  }
  const file = path.join(dir, 'synthetic.npz');
  await writeFile(file, zipSync({ 'train_images.npy': [encodeNpy(images, [n, 28, 28]), { level: 6 }] }));
  await bench('generated', file, 'train_images');
  if (existsSync(real)) await bench('adrenalmnist3d_64 (real)', real, 'train_images');
  else console.log(`(skipping real file: ${real} not present)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
