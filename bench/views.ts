/**
 * npm run bench:views — the JS token views / global average that OnnxBackbone applies after a
 * forward pass, against the alternative of computing them in ONNX Runtime (a ReduceMean graph
 * over the same tensor, including ORT's input/output handling), and against the ViT forward
 * pass that produced the tokens. Prints times and ratios measured in this same run.
 *
 * Shapes: DINOv2-B/14 at 224 px (T = 257 tokens, D = 768), batch 32; CNN map [32, 1280, 7, 7].
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import ort from 'onnxruntime-node';
import { FLOAT, attr, int64Tensor, makeModel, node, valueInfo } from '../src/models/onnx/proto.js';
import { globalAverage, tokenView, type TokenLayout } from '../src/models/onnx/token-views.js';
import { writeTinyVitOnnx } from '../src/models/fixtures/tiny-vit.js';
import { createRng } from '../src/util/random.js';

const N = 32;
const T = 257;
const D = 768;
const REPS = Number(process.env.BENCH_REPS ?? 20);

async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn();
  const t = process.hrtime.bigint();
  for (let i = 0; i < REPS; i++) await fn();
  return Number(process.hrtime.bigint() - t) / 1e6 / REPS;
}

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-bench-views-'));
try {
  const opts = { intraOpNumThreads: os.availableParallelism(), logSeverityLevel: 3 as const };
  const rng = createRng(1);
  const tokens = new Float32Array(N * T * D).map(() => rng.normal());
  const layout: TokenLayout = { hasCls: true, prefix: 1, gridH: 16, gridW: 16 };

  // ORT alternative: Slice off CLS, ReduceMean over tokens.
  const meanFile = path.join(dir, 'mean.onnx');
  await fs.writeFile(
    meanFile,
    makeModel({
      name: 'mean_patch',
      opset: 17,
      nodes: [
        node('Slice', ['tokens', 'starts', 'ends', 'axes'], ['patches']),
        node('ReduceMean', ['patches'], ['mean'], [attr.ints('axes', [1]), attr.int('keepdims', 0)]),
      ],
      inputs: [valueInfo('tokens', FLOAT, ['n', 't', D])],
      outputs: [valueInfo('mean', FLOAT, ['n', D])],
      initializers: [int64Tensor('starts', [1], [1]), int64Tensor('ends', [1], [2 ** 31 - 1]), int64Tensor('axes', [1], [1])],
    }),
  );
  const meanSession = await ort.InferenceSession.create(meanFile, opts);
  const jsMean = await time(() => tokenView(tokens, N, T, D, layout, 'mean-patch', 'bench'));
  const ortMean = await time(() => meanSession.run({ tokens: new ort.Tensor('float32', tokens, [N, T, D]) }));
  const jsCls = await time(() => tokenView(tokens, N, T, D, layout, 'cls', 'bench'));

  const map = new Float32Array(N * 1280 * 49).map(() => rng.normal());
  const gapFile = path.join(dir, 'gap.onnx');
  await fs.writeFile(
    gapFile,
    makeModel({
      name: 'gap',
      opset: 17,
      nodes: [node('GlobalAveragePool', ['map'], ['gap'])],
      inputs: [valueInfo('map', FLOAT, ['n', 1280, 7, 7])],
      outputs: [valueInfo('gap', FLOAT, ['n', 1280, 1, 1])],
      initializers: [],
    }),
  );
  const gapSession = await ort.InferenceSession.create(gapFile, opts);
  const jsGap = await time(() => globalAverage(map, [N, 1280, 7, 7], 'NCHW'));
  const ortGap = await time(() => gapSession.run({ map: new ort.Tensor('float32', map, [N, 1280, 7, 7]) }));

  // The forward pass the tokens come from, scaled down: tiny ViT (D=32, 6 blocks) on the same batch.
  const vitFile = path.join(dir, 'vit.onnx');
  await writeTinyVitOnnx(vitFile, { dim: 32, depth: 6, heads: 2 });
  const vit = await ort.InferenceSession.create(vitFile, opts);
  const pixels = new Float32Array(N * 3 * 224 * 224).map(() => rng.normal());
  const vitMs = await time(() => vit.run({ pixel_values: new ort.Tensor('float32', pixels, [N, 3, 224, 224]) }));

  const f = (x: number): string => `${x.toFixed(2)} ms`;
  console.log(`tokens [${N}, ${T}, ${D}], map [${N}, 1280, 7, 7], ${REPS} reps, ${os.availableParallelism()} threads`);
  console.log(`mean-patch  JS ${f(jsMean)}  ORT ReduceMean ${f(ortMean)}  JS/ORT ${(jsMean / ortMean).toFixed(2)}`);
  console.log(`cls         JS ${f(jsCls)}`);
  console.log(`global-avg  JS ${f(jsGap)}  ORT GlobalAveragePool ${f(ortGap)}  JS/ORT ${(jsGap / ortGap).toFixed(2)}`);
  console.log(`tiny ViT (D=32, 6 blocks) forward on the batch: ${f(vitMs)}; mean-patch JS / forward ${(jsMean / vitMs).toFixed(3)} (a ViT-B forward is ~500x the tiny one)`);
  await Promise.all([meanSession.release(), gapSession.release(), vit.release()]);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
