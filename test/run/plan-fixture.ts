/**
 * Test fixtures for run plans: a PneumoniaMNIST-shaped npz with two visually distinct classes,
 * the tiny ONNX CNN and its card, and a suite YAML over them, all in a caller-owned temp dir.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeNpz, type NpzArrays } from '../data/npz-fixture.js';
import { writeTinyCnnCard, writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { createRng } from '../../src/util/random.js';

export function pneumoniaLike(counts: [number, number, number], seed = 3): NpzArrays {
  const rng = createRng(seed);
  const out: NpzArrays = {};
  (['train', 'val', 'test'] as const).forEach((split, s) => {
    const n = counts[s];
    const images = new Uint8Array(n * 28 * 28);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const y = i % 2;
      labels[i] = y;
      for (let r = 0; r < 28; r++)
        for (let c = 0; c < 28; c++) {
          const inDisc = (r - 14) ** 2 + (c - 14) ** 2 < 60;
          const base = y === 1 && inDisc ? 200 : 40;
          images[i * 784 + r * 28 + c] = Math.max(0, Math.min(255, base + Math.round((rng.next() - 0.5) * 120)));
        }
    }
    out[`${split}_images`] = { data: images, shape: [n, 28, 28] };
    out[`${split}_labels`] = { data: labels, shape: [n, 1] };
  });
  return out;
}

export interface PlanFixture {
  dir: string;
  suiteFile: string;
}

/** npz + tiny CNN (input `size` px; larger is slower, which kill tests use) + suite.yaml writing to cache/ and results/. */
export async function writePlanFixture(dir: string, opts: { counts: [number, number, number]; size?: number; batchSize?: number; name?: string }): Promise<PlanFixture> {
  const size = opts.size ?? 32;
  await writeNpz(path.join(dir, 'pneumoniamnist.npz'), pneumoniaLike(opts.counts));
  await writeTinyCnnOnnx(path.join(dir, 'tiny.onnx'), { size });
  await writeTinyCnnCard(path.join(dir, 'tiny.yaml'), path.join(dir, 'tiny.onnx'), { size });
  const suiteFile = path.join(dir, opts.name ?? 'suite.yaml');
  await fs.writeFile(
    suiteFile,
    `name: plan
seed: 1
cacheDir: cache
resultsDir: results
batchSize: ${opts.batchSize ?? 8}
models:
  - card: tiny.yaml
datasets:
  - source: medmnist
    name: pneumoniamnist
    file: pneumoniamnist.npz
protocols:
  knn:
    k: [5, 10]
  linear:
    lr: [0.1, 0.01]
    epochs: 5
bootstrap:
  resamples: 50
`,
  );
  return { dir, suiteFile };
}

/** Result JSON minus the fields that legitimately differ between runs (VOLATILE_PROVENANCE_FIELDS). */
export function stripVolatile(text: string): unknown {
  const j = JSON.parse(text);
  delete j.provenance.startedAt;
  delete j.provenance.wallSeconds;
  delete j.provenance.host;
  return j;
}

/** Every file under `root` (relative path → bytes) that `filter` keeps, for byte-level comparisons of caches; safe while a run writes there. */
export async function readTree(root: string, filter: (rel: string) => boolean = () => true): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let entries: string[];
  try {
    entries = (await fs.readdir(root, { recursive: true })).map(String);
  } catch {
    return out;
  }
  for (const rel of entries.sort()) {
    if (!filter(rel)) continue;
    const p = path.join(root, rel);
    try {
      if ((await fs.stat(p)).isFile()) out.set(rel, await fs.readFile(p));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // renamed away by a running writer
    }
  }
  return out;
}

const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bin/medprobe.js');

/**
 * Run `medprobe <args>` in `cwd` and SIGKILL it as soon as `ready()` holds (polled every 10 ms:
 * tests kill on a file appearing, never after a delay). Resolves true when killed, false when it
 * finished first; rejects on a non-zero exit.
 */
export function runKilledWhen(cwd: string, args: string[], ready: () => Promise<boolean>): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, MEDPROBE_QUIET: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b) => (stderr += b));
    let done = false;
    const poll = async (): Promise<void> => {
      while (!done) {
        if (await ready()) {
          child.kill('SIGKILL');
          return;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    child.on('exit', (code, signal) => {
      done = true;
      if (signal === 'SIGKILL') resolve(true);
      else if (code === 0) resolve(false);
      else reject(new Error(`medprobe ${args.join(' ')} exited ${code}: ${stderr}`));
    });
    void poll();
  });
}
