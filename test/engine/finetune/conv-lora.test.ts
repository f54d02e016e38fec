import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { irNode, makeTensor, tensorValues, type Graph } from '../../../src/engine/autodiff/ir.js';
import { buildTrainingGraph } from '../../../src/engine/autodiff/training-graph.js';
import { HEAD_B, HEAD_W, LOSS, TARGET, appendHead } from '../../../src/engine/finetune/head.js';
import { adapt } from '../../../src/engine/finetune/methods.js';
import { createRng } from '../../../src/util/random.js';
import { assertMatchesFiniteDifferences } from './finite-differences.js';

/**
 * LoRA on 1×1 convolutions (MobileNet-style pointwise layers): the adapters' and head's
 * gradients against central finite differences of an independent float64 forward in which each
 * adapted conv uses the merged weight W + (α/r)·B·A. The tiny CNN: 1×1 expand (3→6, named by
 * node path) → Relu → frozen 3×3 conv (pad 1) → Relu → 1×1 project with stride 2 (6→4, named by
 * weight) → global average → linear head → softmax cross-entropy.
 */
const N = 2;
const S = 5;
const RANK = 2;
const ALPHA = 4;
const K = 3;

function tinyCnn(rng: ReturnType<typeof createRng>): { graph: Graph; weights: Record<string, Float64Array> } {
  const shapes: Record<string, number[]> = { w1: [6, 3, 1, 1], b1: [6], w2: [6, 6, 3, 3], b2: [6], 'net.project.weight': [4, 6, 1, 1], 'net.project.bias': [4] };
  const inits = new Map<string, ReturnType<typeof makeTensor>>();
  const weights: Record<string, Float64Array> = {};
  for (const [name, dims] of Object.entries(shapes)) {
    const v = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => 0.5 * rng.normal());
    inits.set(name, makeTensor(name, 'float', dims, v));
    weights[name] = Float64Array.from(v);
  }
  const named = (n: ReturnType<typeof irNode>, name: string) => ({ ...n, name });
  const nodes = [
    named(irNode('Conv', ['x', 'w1', 'b1'], ['e'], { kernel_shape: [1, 1] }), '/net/expand/Conv'),
    irNode('Relu', ['e'], ['e_r']),
    named(irNode('Conv', ['e_r', 'w2', 'b2'], ['m'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), '/net/mix/Conv'),
    irNode('Relu', ['m'], ['m_r']),
    named(irNode('Conv', ['m_r', 'net.project.weight', 'net.project.bias'], ['feat'], { kernel_shape: [1, 1], strides: [2, 2] }), '/net/project/Conv'),
  ];
  return { graph: { nodes, inits, inputs: [{ name: 'x', type: 'float', dims: [N, 3, S, S] }], outputs: ['feat'], opset: 17 }, weights };
}

/** float64 NCHW conv, square kernel, one group. */
function conv(x: Float64Array, c: number, s: number, w: Float64Array, b: Float64Array, co: number, k: number, pad: number, stride: number): { y: Float64Array; s: number } {
  const so = Math.floor((s + 2 * pad - k) / stride) + 1;
  const y = new Float64Array(N * co * so * so);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < co; o++)
      for (let i = 0; i < so; i++)
        for (let j = 0; j < so; j++) {
          let acc = b[o];
          for (let ci = 0; ci < c; ci++)
            for (let u = 0; u < k; u++)
              for (let v = 0; v < k; v++) {
                const r = i * stride - pad + u;
                const q = j * stride - pad + v;
                if (r >= 0 && r < s && q >= 0 && q < s) acc += w[((o * c + ci) * k + u) * k + v] * x[((n * c + ci) * s + r) * s + q];
              }
          y[((n * co + o) * so + i) * so + j] = acc;
        }
  return { y, s: so };
}

/** W [out, in] + (α/r)·B [out, r]·A [r, in]. */
function merged(w: Float64Array, a: Float64Array, b: Float64Array, out: number, inp: number): Float64Array {
  const m = Float64Array.from(w);
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) for (let r = 0; r < RANK; r++) m[o * inp + i] += (ALPHA / RANK) * b[o * RANK + r] * a[r * inp + i];
  return m;
}

function referenceLoss(w: Record<string, Float64Array>, v: Map<string, Float64Array>, x: Float64Array, target: number[]): number {
  const relu = (t: Float64Array) => t.map((z) => Math.max(0, z));
  const e = conv(x, 3, S, merged(w.w1, v.get('lora.net.expand.A')!, v.get('lora.net.expand.B')!, 6, 3), w.b1, 6, 1, 0, 1);
  const m = conv(relu(e.y), 6, e.s, w.w2, w.b2, 6, 3, 1, 1);
  const f = conv(relu(m.y), 6, m.s, merged(w['net.project.weight'], v.get('lora.net.project.A')!, v.get('lora.net.project.B')!, 4, 6), w['net.project.bias'], 4, 1, 0, 2);
  const hw = v.get(HEAD_W)!;
  const hb = v.get(HEAD_B)!;
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const pooled = Array.from({ length: 4 }, (_, c) => {
      let s = 0;
      for (let p = 0; p < f.s * f.s; p++) s += f.y[(n * 4 + c) * f.s * f.s + p];
      return s / (f.s * f.s);
    });
    const z = Array.from({ length: K }, (_, k) => pooled.reduce((s, p, c) => s + p * hw[c * K + k], hb[k]));
    const mx = Math.max(...z);
    loss -= (z[target[n]] - (mx + Math.log(z.reduce((s, t) => s + Math.exp(t - mx), 0)))) / N;
  }
  return loss;
}

test('LoRA on 1×1 Convs (glob and suffix targets, a strided one) gradients match finite differences of a merged-weight float64 forward', async () => {
  const rng = createRng(7);
  const { graph, weights } = tinyCnn(rng);
  const adapted = adapt(graph, { kind: 'lora', rank: RANK, alpha: ALPHA, dropout: 0, targets: ['*expand', 'project'] }, { seed: 3, training: false });
  assert.deepEqual(adapted.modules, ['net.expand', 'net.project']);
  assert.deepEqual(adapted.graph.inits.get('lora.net.expand.A')!.dims!.map(Number), [RANK, 3, 1, 1]);
  assert.deepEqual(adapted.graph.inits.get('lora.net.project.B')!.dims!.map(Number), [4, RANK, 1, 1]);
  assert.ok(tensorValues(adapted.graph.inits.get('lora.net.project.B')!).every((v) => v === 0), 'B starts at zero (PEFT)');
  // A random B makes every A gradient non-trivial.
  for (const name of adapted.trainable.filter((t) => t.endsWith('.B'))) {
    const dims = adapted.graph.inits.get(name)!.dims!.map(Number);
    adapted.graph.inits.set(name, makeTensor(name, 'float', dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => 0.5 * rng.normal())));
  }
  const head = { features: 'feat', pooling: { kind: 'gap' as const }, dim: 4, classes: K, loss: 'softmax-ce' as const, batch: N, weight: Float32Array.from({ length: 4 * K }, () => rng.normal()), bias: Float32Array.from({ length: K }, () => 0.1 * rng.normal()) };
  const trainable = [...adapted.trainable, HEAD_W, HEAD_B];
  const tg = await buildTrainingGraph({ graph: appendHead(adapted.graph, head), loss: LOSS, trainable, inputDims: { x: [N, 3, S, S], [TARGET]: [N, K] }, outputs: [] });
  const session = await ort.InferenceSession.create(tg.bytes);
  const pixels = Float32Array.from({ length: N * 3 * S * S }, () => rng.normal());
  const target = [2, 0];
  const feeds: Record<string, ort.Tensor> = {
    x: new ort.Tensor('float32', pixels, [N, 3, S, S]),
    [TARGET]: new ort.Tensor('float32', Float32Array.from(target.flatMap((t) => Array.from({ length: K }, (_, k) => (k === t ? 1 : 0)))), [N, K]),
  };
  for (const p of tg.params) feeds[p.name] = new ort.Tensor('float32', p.init, p.dims);
  const out = await session.run(feeds);
  await session.release();

  const values = new Map(tg.params.map((p) => [p.name, Float64Array.from(p.init)]));
  const x = Float64Array.from(pixels);
  assertMatchesFiniteDifferences(out, tg, values, () => referenceLoss(weights, values, x, target));
});

test('LoRA refuses a target that matches a k×k Conv, naming it', () => {
  const { graph } = tinyCnn(createRng(1));
  assert.throws(() => adapt(graph, { kind: 'lora', rank: RANK, targets: ['net.*'] }, { seed: 0, training: true }), /LoRA target 'net\.mix' is a 3×3 Conv/);
});
