/**
 * npm run bench:decoder — seconds per training step of the segmentation decoders at the
 * reference study's ViT-S/14 448 px shape (batch 8, four 384-d 32×32 token grids, output
 * 448×448, 2 classes, soft Dice, Adam), against PyTorch running the same decoders at the same
 * shapes and threads in the same command (bench/reference/peer.py), rounds alternating, each
 * figure in its own process. `--conv-dw` adds the U-Net with its 3×3 weight gradient as a Conv
 * instead of 9 GEMMs, so the choice in decoder-graph.ts stays measured.
 *
 * Run: npm run bench:decoder -- [--rounds 3] [--threads N] [--conv-dw] [--linear-only]
 */
import { DecoderEngine, type SegBatch } from '../src/engine/seg/decoder-engine.js';
import type { DecoderSpec } from '../src/engine/seg/decoder-spec.js';
import type { WeightGradMode } from '../src/engine/seg/decoder-graph.js';
import { createRng } from '../src/util/random.js';
import { alternate, benchThreads, flag, printHeader, printTable, serveFigure, servedFigure, startMedprobeFigure, startTorchPeer, type RoundServer } from './peer.js';

const threads = benchThreads();
const N = 8, D = 384, G = 32, OUT = 448, K = 2;
const grid = { channels: D, height: G, width: G };
const SPECS: Record<string, { spec: DecoderSpec; mode: WeightGradMode }> = {
  'medprobe U-Net': { spec: { kind: 'unet', inputs: [grid, grid, grid, grid], classes: K, outHeight: OUT, outWidth: OUT }, mode: 'gemm' },
  'medprobe U-Net, 3×3 dW as Conv': { spec: { kind: 'unet', inputs: [grid, grid, grid, grid], classes: K, outHeight: OUT, outWidth: OUT }, mode: 'conv' },
  'medprobe linear': { spec: { kind: 'linear', inputs: [grid], classes: K, outHeight: OUT, outWidth: OUT }, mode: 'gemm' },
};

function batch(spec: DecoderSpec): SegBatch {
  const rng = createRng(1);
  const feats = spec.inputs.map((s) => Float32Array.from({ length: N * s.channels * s.height * s.width }, () => rng.normal()));
  const target = new Float32Array(N * K * OUT * OUT);
  const plane = OUT * OUT;
  for (let n = 0; n < N; n++) for (let p = 0; p < plane; p++) target[(n * K + (rng.next() < 0.2 ? 1 : 0)) * plane + p] = 1;
  return { n: N, feats, target, valid: new Float32Array(N * plane).fill(1) };
}

const serve = servedFigure();
if (serve) {
  await serveFigure(async () => {
    const { spec, mode } = SPECS[serve];
    const engine = await DecoderEngine.create({ spec, loss: { dice: 1, ce: 0, includeBackground: false }, seed: 0, weightGradMode: mode, threads });
    const b = batch(spec);
    return () => engine.step(b);
  });
} else {
  const script = new URL(import.meta.url).pathname;
  const linearOnly = process.argv.includes('--linear-only');
  await printHeader(`bench:decoder — batch ${N}, 4×[${D}, ${G}, ${G}] → ${OUT}×${OUT}, ${K} classes, soft Dice, Adam; one training step per round`, threads);
  const servers: RoundServer[] = [];
  const tables: { title: string; figs: string[]; peer?: string }[] = [];
  const add = async (title: string, mine: string[], kind: 'unet' | 'linear') => {
    for (const m of mine) servers.push(await startMedprobeFigure(script, m));
    const peer = await startTorchPeer('decoder', kind === 'unet' ? 'U-Net' : 'linear', ['--kind', kind], threads);
    if (peer) servers.push(peer);
    tables.push({ title, figs: [...mine, ...(peer ? [peer.name] : [])], peer: peer?.name });
  };
  if (!linearOnly) await add('U-Net decoder step', ['medprobe U-Net', ...(process.argv.includes('--conv-dw') ? ['medprobe U-Net, 3×3 dW as Conv'] : [])], 'unet');
  await add('linear decoder step', ['medprobe linear'], 'linear');
  const results = await alternate(servers.map((s) => s.figure), flag('rounds', 3));
  for (const t of tables) printTable(t.title, results.filter((r) => t.figs.includes(r.name)), { against: t.peer });
  // Every round, in order: a bimodal cost (one figure alternating between two levels) shows here, not in a median.
  console.log('\nper-round seconds (in run order):');
  for (const r of results) console.log(`  ${r.name}: ${r.all.map((s) => s.toFixed(3)).join(' ')}`);
  for (const s of servers) s.close();
}
