/**
 * npm run bench:probe — the linear-probe grid (8 lrs × 2 weight decays = 16 softmax heads,
 * batch 128, SGD momentum) on 50 000 × 768 synthetic features with 10 classes, streamed from an
 * .npy on disk, one epoch per round; against PyTorch training the same 16 heads fused into one
 * [768 × 160] matmul (bench/reference/peer.py `probe`), same rows, threads and batch, in the same
 * command, rounds alternating, each figure in its own process.
 *
 * Run: npm run bench:probe -- [--rows 50000] [--dim 768] [--classes 10] [--rounds 3] [--threads N]
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { trainHeads, type HeadHyper } from '../src/engine/heads.js';
import { npyRows } from '../src/engine/rows.js';
import { DEFAULT_LR_GRID } from '../src/protocols/linear/probe.js';
import { createRng } from '../src/util/random.js';
import { alternate, benchThreads, flag, printHeader, printTable, serveFigure, servedFigure, startMedprobeFigure, startTorchPeer, type RoundServer } from './peer.js';

const N = flag('rows', 50000);
const D = flag('dim', 768);
const C = flag('classes', 10);
const BATCH = 128;
const threads = benchThreads();

/** Class-conditional Gaussians written block by block as a float32 .npy (numpy's v1 layout). */
async function writeSynthetic(file: string): Promise<Int32Array> {
  const labels = new Int32Array(N);
  const rng = createRng(42);
  const fh = await open(file, 'w');
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

const serve = servedFigure();
if (serve) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-probe-'));
  process.on('exit', () => void rm(dir, { recursive: true, force: true }));
  await serveFigure(async () => {
    process.env.MEDPROBE_ORT_THREADS = String(threads);
    const file = path.join(dir, 'features.npy');
    const labels = await writeSynthetic(file);
    const targets = new Float32Array(N * C);
    labels.forEach((y, i) => (targets[i * C + y] = 1));
    const heads: HeadHyper[] = [];
    for (const weightDecay of [0, 1e-4]) for (const lr of DEFAULT_LR_GRID) heads.push({ lr, weightDecay });
    const src = npyRows(file);
    return () => trainHeads({ sources: [src], heads: [heads], targets, classes: C, activation: 'softmax', epochs: 1, batchSize: BATCH, seed: 1 });
  });
} else {
  await printHeader(`bench:probe — 16 heads (8 lrs × 2 weight decays), ${N} × ${D} features, ${C} classes, batch ${BATCH}, one epoch (${Math.ceil(N / BATCH)} steps) per round`, threads);
  const servers: RoundServer[] = [await startMedprobeFigure(new URL(import.meta.url).pathname, 'medprobe probe grid (.npy streamed)')];
  const peer = await startTorchPeer('probe', 'probe grid (fused heads, in RAM)', ['--rows', N, '--dim', D, '--classes', C, '--heads', 16, '--batch', BATCH], threads);
  if (peer) servers.push(peer);
  const results = await alternate(servers.map((s) => s.figure), flag('rounds', 3));
  printTable('linear-probe grid, one epoch', results, { against: peer?.name });
  for (const s of servers) s.close();
}
