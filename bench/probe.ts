/**
 * npm run bench:probe — the linear-probe grid (8 lrs × weight decay {0, 1e-4} = 16 softmax heads,
 * batch 128, SGD momentum, cosine schedule, standardised features) on 50 000 × 768 synthetic
 * features with 10 classes, one epoch per round (column statistics included, as every fit
 * computes them); against PyTorch doing the same work (bench/reference/peer.py `probe`: the
 * same heads fused into one [768 × 160] matmul, same standardisation and schedule, same rows,
 * threads and batch) in the same command, rounds alternating, each figure in its own process.
 *
 * Figures: rows in RAM (what a run passes the probe: the cached feature matrix), the like-for-like
 * comparison with torch; and rows streamed from an .npy on disk (`npyRows`, for matrices that
 * should not be resident), so the cost of streaming stays visible.
 *
 * Run: npm run bench:probe -- [--rows 50000] [--dim 768] [--classes 10] [--rounds 3] [--threads N]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { trainHeads, type HeadHyper } from '../src/engine/heads.js';
import { matrixRows, npyRows, type RowSource } from '../src/engine/rows.js';
import { DEFAULT_LR_GRID } from '../src/protocols/linear/probe.js';
import { writeNpy } from '../src/util/npy.js';
import { createRng } from '../src/util/random.js';
import { alternate, benchThreads, flag, printHeader, printTable, serveFigure, servedFigure, startMedprobeFigure, startTorchPeer, type RoundServer } from './peer.js';

const N = flag('rows', 50000);
const D = flag('dim', 768);
const C = flag('classes', 10);
const BATCH = 128;
const LRS = DEFAULT_LR_GRID;
/** Fixed here (not the suite default) so the peer trains the same number of heads. */
const WDS = [0, 1e-4];
const threads = benchThreads();
const IN_RAM = 'medprobe probe grid (rows in RAM)';
const STREAMED = 'medprobe probe grid (rows streamed from .npy)';

/** Class-conditional Gaussians [N × D] and their labels. */
function synthetic(): { data: Float32Array; labels: Int32Array } {
  const rng = createRng(42);
  const data = new Float32Array(N * D);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const y = rng.int(C);
    labels[i] = y;
    for (let j = 0; j < D; j++) data[i * D + j] = rng.normal() + ((j * 7 + y) % 10 === 0 ? 0.15 * (1 + (y % 3)) : 0);
  }
  return { data, labels };
}

const serve = servedFigure();
if (serve) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-probe-'));
  process.on('exit', () => void rm(dir, { recursive: true, force: true }));
  await serveFigure(async () => {
    process.env.MEDPROBE_ORT_THREADS = String(threads);
    const { data, labels } = synthetic();
    const targets = new Float32Array(N * C);
    labels.forEach((y, i) => (targets[i * C + y] = 1));
    const heads: HeadHyper[] = [];
    for (const weightDecay of WDS) for (const lr of LRS) heads.push({ lr, weightDecay });
    let src: RowSource = matrixRows({ rows: N, cols: D, data });
    if (serve === STREAMED) {
      const file = path.join(dir, 'features.npy');
      await writeNpy(file, data, [N, D]);
      src = npyRows(file);
    }
    return () => trainHeads({ sources: [src], heads: [heads], targets, classes: C, activation: 'softmax', epochs: 1, batchSize: BATCH, seed: 1 });
  });
} else {
  const H = LRS.length * WDS.length;
  await printHeader(`bench:probe — ${H} heads (${LRS.length} lrs × ${WDS.length} weight decays), ${N} × ${D} features, ${C} classes, batch ${BATCH}, one epoch (${Math.ceil(N / BATCH)} steps) per round`, threads);
  const script = new URL(import.meta.url).pathname;
  const servers: RoundServer[] = [await startMedprobeFigure(script, IN_RAM), await startMedprobeFigure(script, STREAMED)];
  const peer = await startTorchPeer('probe', 'probe grid (fused heads, rows in RAM)', ['--rows', N, '--dim', D, '--classes', C, '--batch', BATCH, '--lrs', LRS.join(','), '--wds', WDS.join(',')], threads);
  if (peer) servers.push(peer);
  const results = await alternate(servers.map((s) => s.figure), flag('rounds', 3));
  printTable('linear-probe grid, one epoch', results, { against: peer?.name });
  for (const s of servers) s.close();
}
