// bench:probe — the default linear-probe grid (8 lrs × 2 weight decays = 16 heads, 10 epochs,
// batch 128) on 50 000 × 768 synthetic features with 10 classes, streamed from an .npy on disk.
// Prints wall time and peak RSS, and, measured in the same run, the simplest alternative:
// the same 16 heads trained one at a time with the same engine (1 epoch each, scaled ×epochs,
// since cost is linear in epochs). PyTorch-CPU numbers for the same grid come from
// bench/reference/probe_torch.py and are recorded in docs/results/protocols.md.
//
// With --knn it also times the kNN engine (ORT Gemm+TopK) against a plain-JS double loop.
//
// Usage: npm run bench:probe [-- --rows 50000 --dim 768 --classes 10 --epochs 10 --knn --skip-baseline]
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { trainHeads, predictHeads, type HeadHyper } from '../src/engine/heads.js';
import { npyRows } from '../src/engine/rows.js';
import { DEFAULT_LR_GRID } from '../src/protocols/linear/probe.js';
import { cosineTopK } from '../src/engine/similarity.js';
import { createRng } from '../src/util/random.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    dim: { type: 'string', default: '768' },
    classes: { type: 'string', default: '10' },
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '128' },
    'skip-baseline': { type: 'boolean', default: false },
    knn: { type: 'boolean', default: false },
  },
});
const N = Number(values.rows);
const D = Number(values.dim);
const C = Number(values.classes);
const EPOCHS = Number(values.epochs);
const BATCH = Number(values.batch);

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const rssMB = () => mb(process.resourceUsage().maxRSS * 1024);

/**
 * Class-conditional Gaussians (class mean ±0.15 on a class-specific 10% of dims, unit noise),
 * written block by block so the generator never holds the matrix either.
 */
async function writeSynthetic(file: string): Promise<Int32Array> {
  const labels = new Int32Array(N);
  const rng = createRng(42);
  const fh = await open(file, 'w');
  // .npy v1 header for [N, D] float32, padded so data starts on a 64-byte boundary (numpy's
  // layout); the data is then appended block by block.
  const text = `{'descr': '<f4', 'fortran_order': False, 'shape': (${N}, ${D}), }`;
  const padded = text.padEnd(Math.ceil((10 + text.length + 1) / 64) * 64 - 10 - 1, ' ') + '\n';
  const head = new Uint8Array(10 + padded.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 0xff, padded.length >> 8]);
  head.set(new TextEncoder().encode(padded), 10);
  await fh.write(head);
  const block = 1000;
  const buf = new Float32Array(block * D);
  for (let s = 0; s < N; s += block) {
    const n = Math.min(block, N - s);
    for (let i = 0; i < n; i++) {
      const y = rng.int(C);
      labels[s + i] = y;
      for (let j = 0; j < D; j++) buf[i * D + j] = rng.normal() + ((j * 7 + y) % 10 === 0 ? 0.15 * (1 + (y % 3)) : 0);
    }
    await fh.write(new Uint8Array(buf.buffer, 0, n * D * 4));
  }
  await fh.close();
  return labels;
}

function oneHot(labels: Int32Array): Float32Array {
  const t = new Float32Array(labels.length * C);
  for (let i = 0; i < labels.length; i++) t[i * C + labels[i]] = 1;
  return t;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-probe-'));
try {
  const file = path.join(dir, 'features.npy');
  const t0 = performance.now();
  const labels = await writeSynthetic(file);
  console.log(`synthetic features: ${N} × ${D} float32 (${mb(N * D * 4)} MB on disk), ${C} classes, written in ${((performance.now() - t0) / 1000).toFixed(1)} s; RSS so far ${rssMB()} MB`);
  const targets = oneHot(labels);
  const hypers: HeadHyper[] = [];
  for (const weightDecay of [0, 1e-4]) for (const lr of DEFAULT_LR_GRID) hypers.push({ lr, weightDecay });

  const src = npyRows(file);
  const common = { targets, classes: C, activation: 'softmax' as const, batchSize: BATCH, seed: 1 };
  const tGrid = performance.now();
  const cpu0 = process.cpuUsage();
  const [bank] = await trainHeads({ ...common, sources: [src], heads: [hypers], epochs: EPOCHS });
  const gridS = (performance.now() - tGrid) / 1000;
  const cpu1 = process.cpuUsage(cpu0);
  // CPU seconds (all threads) are the fairer number on a shared, loaded machine: wall time
  // there mostly measures the other tenants.
  const gridCpu = (cpu1.user + cpu1.system) / 1e6;
  const rssGrid = process.resourceUsage().maxRSS * 1024;
  // Score the first 10k rows only: a [50k × 160] probability block would itself be 32 MB.
  const evalRows = Math.min(N, 10000);
  const probs = await predictHeads(bank, { ...src, rows: evalRows });
  let correct = 0;
  for (let i = 0; i < evalRows; i++) {
    let b = 0;
    for (let c = 1; c < C; c++) if (probs[i * hypers.length * C + c] > probs[i * hypers.length * C + b]) b = c;
    if (b === labels[i]) correct++;
  }
  console.log(`grid: ${hypers.length} heads × ${EPOCHS} epochs (${Math.ceil(N / BATCH) * EPOCHS} ORT steps): ${gridS.toFixed(2)} s wall, ${gridCpu.toFixed(2)} s CPU; peak RSS ${mb(rssGrid)} MB = ${(rssGrid / (N * D * 4)).toFixed(2)}× the feature matrix (${mb(N * D * 4)} MB); train acc (first ${evalRows} rows) of head lr=${hypers[0].lr}: ${(correct / evalRows).toFixed(3)}`);

  if (!values['skip-baseline']) {
    const tOne = performance.now();
    const c0 = process.cpuUsage();
    for (const h of hypers) await trainHeads({ ...common, sources: [src], heads: [[h]], epochs: 1 });
    const oneS = ((performance.now() - tOne) / 1000) * EPOCHS;
    const c1 = process.cpuUsage(c0);
    const oneCpu = ((c1.user + c1.system) / 1e6) * EPOCHS;
    console.log(`baseline: the same ${hypers.length} heads one at a time (1 epoch each, ×${EPOCHS}): ${oneS.toFixed(2)} s wall, ${oneCpu.toFixed(2)} s CPU (extrapolated)`);
    console.log(`ratio: one-at-a-time / all-heads-together = ${(oneS / gridS).toFixed(2)}× wall, ${(oneCpu / gridCpu).toFixed(2)}× CPU`);
  }
  if (values.knn) {
    // kNN engine vs the plain-JS alternative, after the probe's RSS was reported (this part
    // loads 20k bank rows). JS: dot products + a running top-k insertion, on 50 queries, scaled.
    const bankRows = Math.min(N, 20000);
    const bank = { rows: bankRows, cols: D, data: src.block(0, bankRows, new Float32Array(bankRows * D)).slice() };
    const q = { rows: 2000, cols: D, data: src.block(N - 2000, N, new Float32Array(2000 * D)).slice() };
    const k = 20;
    let t = performance.now();
    await cosineTopK(bank, q, k);
    const ortS = (performance.now() - t) / 1000;
    const jsQ = 50;
    t = performance.now();
    const norms = new Float64Array(bankRows);
    for (let b = 0; b < bankRows; b++) {
      let s2 = 0;
      for (let j = 0; j < D; j++) s2 += bank.data[b * D + j] ** 2;
      norms[b] = Math.sqrt(s2);
    }
    const top = new Float64Array(k);
    for (let i = 0; i < jsQ; i++) {
      top.fill(-Infinity);
      for (let b = 0; b < bankRows; b++) {
        let dot = 0;
        for (let j = 0; j < D; j++) dot += q.data[i * D + j] * bank.data[b * D + j];
        const sim = dot / norms[b];
        if (sim > top[k - 1]) {
          let p = k - 1;
          while (p > 0 && top[p - 1] < sim) {
            top[p] = top[p - 1];
            p--;
          }
          top[p] = sim;
        }
      }
    }
    const jsS = ((performance.now() - t) / 1000) * (q.rows / jsQ);
    console.log(`kNN top-${k}, ${q.rows} queries × ${bankRows} bank × ${D}-d: ORT ${ortS.toFixed(2)} s; plain JS ${jsS.toFixed(2)} s (50 queries, scaled); ratio ${(jsS / ortS).toFixed(1)}×`);
  }
  src.close?.();
  console.log(`node ${process.version}, onnxruntime-node ${(await import('onnxruntime-node')).env.versions.node}, ${os.cpus().length} cpus, MEDPROBE_ORT_THREADS=${process.env.MEDPROBE_ORT_THREADS ?? '(ORT default)'}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
