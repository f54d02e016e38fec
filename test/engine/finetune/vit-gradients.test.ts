import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadGraph, makeTensor, tensorValues } from '../../../src/engine/autodiff/ir.js';
import { buildTrainingGraph } from '../../../src/engine/autodiff/training-graph.js';
import { HEAD_B, HEAD_W, LOGITS, LOSS, TARGET, appendHead } from '../../../src/engine/finetune/head.js';
import { adapt, type Method } from '../../../src/engine/finetune/methods.js';
import { tinyVitReference } from '../../../src/models/fixtures/tiny-vit-reference.js';
import { tinyVitWeights, writeTinyVitOnnx, type TinyVitBlockWeights, type TinyVitOptions, type TinyVitWeights } from '../../../src/models/fixtures/tiny-vit.js';
import { createRng } from '../../../src/util/random.js';
import { withTempDir } from '../../helpers/assertions.js';
import { assertMatchesFiniteDifferences } from './finite-differences.js';

/**
 * Every LoRA, BitFit and full-fine-tuning gradient of a whole DINOv2-style ViT (the repo's
 * generated fixture, with its dynamic-size graph folded to fixed dims) against central finite
 * differences of an independent float64 forward (src/models/fixtures/tiny-vit-reference.ts)
 * with the same head and loss. LoRA deltas enter that reference as W + (α/r)·A·B.
 */
const OPTS: TinyVitOptions = { patchSize: 4, dim: 8, depth: 2, heads: 2, size: 8, registers: 0, layerScale: true, dynamicHW: true, seed: 3 };
const N = 2;
const K = 3;
const RANK = 3;
const ALPHA = 6;

const BLOCK_FIELDS: Record<string, keyof TinyVitBlockWeights> = {
  'norm1.weight': 'ln1g', 'norm1.bias': 'ln1b', 'attn.qkv.weight': 'qkvW', 'attn.qkv.bias': 'qkvB', 'attn.proj.weight': 'projW', 'attn.proj.bias': 'projB',
  'ls1.gamma': 'ls1', 'norm2.weight': 'ln2g', 'norm2.bias': 'ln2b', 'mlp.fc1.weight': 'fc1W', 'mlp.fc1.bias': 'fc1B', 'mlp.fc2.weight': 'fc2W', 'mlp.fc2.bias': 'fc2B', 'ls2.gamma': 'ls2',
};
const TOP_FIELDS: Record<string, keyof TinyVitWeights> = { 'patch_embed.weight': 'patchW', 'patch_embed.bias': 'patchB', cls_token: 'cls', pos_embed: 'pos', 'norm.weight': 'normG', 'norm.bias': 'normB' };

/** float64 loss of the reference model with the given tensors (by ONNX name) replacing the fixture's. */
function referenceLoss(base: TinyVitWeights, values: Map<string, Float64Array>, pixels: Float32Array, target: number[]): number {
  const w = { ...base, blocks: base.blocks.map((b) => ({ ...b })) } as unknown as Record<string, unknown> & { blocks: Record<string, unknown>[] };
  for (const [name, v] of values) {
    const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
    if (m && BLOCK_FIELDS[m[2]]) w.blocks[Number(m[1])][BLOCK_FIELDS[m[2]]] = v;
    else if (TOP_FIELDS[name]) (w as Record<string, unknown>)[TOP_FIELDS[name]] = v;
  }
  for (const [name, a] of values) {
    const m = /^lora\.blocks\.(\d+)\.attn\.(qkv|proj)\.A$/.exec(name);
    if (!m) continue;
    const b = values.get(name.replace(/\.A$/, '.B'))!;
    const field = m[2] === 'qkv' ? 'qkvW' : 'projW';
    const W = Float64Array.from(w.blocks[Number(m[1])][field] as ArrayLike<number>);
    const din = a.length / RANK;
    const dout = b.length / RANK;
    for (let i = 0; i < din; i++) for (let o = 0; o < dout; o++) for (let r = 0; r < RANK; r++) W[i * dout + o] += (ALPHA / RANK) * a[i * RANK + r] * b[r * dout + o];
    w.blocks[Number(m[1])][field] = W;
  }
  const ref = tinyVitReference(w as unknown as TinyVitWeights, pixels, N, OPTS.size!);
  const hw = values.get(HEAD_W)!;
  const hb = values.get(HEAD_B)!;
  const d = OPTS.dim!;
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const z = Array.from({ length: K }, (_, k) => {
      let s = hb[k];
      for (let c = 0; c < d; c++) s += ref.lastHiddenState[n * ref.tokens * d + c] * hw[c * K + k];
      return s;
    });
    const mx = Math.max(...z);
    const lse = mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0));
    loss -= (z[target[n]] - lse) / N;
  }
  return loss;
}

async function checkMethod(method: Method, dir: string, variant: TinyVitOptions = {}): Promise<void> {
  const file = path.join(dir, 'vit.onnx');
  await writeTinyVitOnnx(file, { ...OPTS, ...variant });
  const rng = createRng(11);
  const pixels = Float32Array.from({ length: N * 3 * OPTS.size! ** 2 }, () => rng.normal());
  const target = [2, 0];
  const onehot = target.flatMap((t) => Array.from({ length: K }, (_, k) => (k === t ? 1 : 0)));
  const adapted = adapt(loadGraph(await readFile(file)), method, { seed: 5, training: false });
  // LoRA's B starts at zero; a random B makes every A gradient non-trivial.
  for (const name of adapted.trainable) {
    if (name.endsWith('.B')) adapted.graph.inits.set(name, makeTensor(name, 'float', adapted.graph.inits.get(name)!.dims!.map(Number), Array.from({ length: tensorValues(adapted.graph.inits.get(name)!).length }, () => 0.3 * rng.normal())));
  }
  const graph = appendHead(adapted.graph, {
    features: 'last_hidden_state', pooling: { kind: 'cls' }, dim: OPTS.dim!, classes: K, loss: 'softmax-ce', batch: N,
    weight: Float32Array.from({ length: OPTS.dim! * K }, () => 0.5 * rng.normal()), bias: Float32Array.from({ length: K }, () => 0.1 * rng.normal()),
  });
  const trainable = [...adapted.trainable, HEAD_W, HEAD_B];
  const tg = await buildTrainingGraph({ graph, loss: LOSS, trainable, inputDims: { pixel_values: [N, 3, OPTS.size!, OPTS.size!], [TARGET]: [N, K] }, outputs: [LOGITS] });
  const session = await ort.InferenceSession.create(tg.bytes);
  const feeds: Record<string, ort.Tensor> = { pixel_values: new ort.Tensor('float32', pixels, [N, 3, OPTS.size!, OPTS.size!]), [TARGET]: new ort.Tensor('float32', Float32Array.from(onehot), [N, K]) };
  for (const p of tg.params) feeds[p.name] = new ort.Tensor('float32', p.init, p.dims);
  const out = await session.run(feeds);

  const values = new Map(tg.params.map((p) => [p.name, Float64Array.from(p.init)]));
  const base = tinyVitWeights(OPTS);
  assertMatchesFiniteDifferences(out, tg, values, () => referenceLoss(base, values, pixels, target), method.kind);
  await session.release();
}

test('LoRA (qkv and proj, random B) gradients of a whole ViT match finite differences of an independent float64 forward', async () => {
  await withTempDir('ad-vit', (dir) => checkMethod({ kind: 'lora', rank: RANK, alpha: ALPHA, dropout: 0, targets: ['qkv', 'proj'] }, dir));
});

test('BitFit gradients (every bias) of a whole ViT match finite differences', async () => {
  await withTempDir('ad-vit', (dir) => checkMethod({ kind: 'bitfit' }, dir));
});

test('full fine-tuning through a decomposed LayerNorm (ReduceMean/Sub/Pow/Sqrt/Div, as opset < 17 exports write it)', async () => {
  await withTempDir('ad-vit', (dir) => checkMethod({ kind: 'full' }, dir, { decomposedNorm: true }));
});

test('full fine-tuning gradients (every parameter, position embedding included) match finite differences', async () => {
  await withTempDir('ad-vit', (dir) => checkMethod({ kind: 'full' }, dir));
});
