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

const killHook = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../helpers/kill-after-rename.mjs');

/**
 * Run `medprobe <args>` in `cwd`, SIGKILLed by itself right after its `count`-th rename onto a path
 * matching `afterRename` (test/helpers/kill-after-rename.mjs): an exact state, never a delay or a
 * poll that a loaded machine can outrun. Resolves true when killed, false when it finished first;
 * rejects on a non-zero exit.
 */
export function runKilledAfterRename(cwd: string, args: string[], afterRename: RegExp, count = 1): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, MEDPROBE_QUIET: '1', MEDPROBE_TEST_KILL_AFTER_RENAME: afterRename.source, MEDPROBE_TEST_KILL_AFTER_RENAME_COUNT: String(count) };
    const child = spawn(process.execPath, ['--import', killHook, bin, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b) => (stderr += b));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(true);
      else if (code === 0) resolve(false);
      else reject(new Error(`medprobe ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

/** Rename targets, as paths with `/`: a feature-cache entry (`features/<2 hex>/<key>`), a result file (`<model>/<dataset>/<protocol>.json`). */
export const CACHE_ENTRY = /\/features\/[^/]{2}\/[^/.][^/]*$/;
export const RESULT_FILE = /\/results\/[^/_.][^/]*\/[^/]+\/[^/.][^/]*\.json$/;
