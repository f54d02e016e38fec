import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBlockRef, blockOutputName } from '../../src/models/onnx/block-ref.js';
import { graphIOFromBytes, readGraphIO } from '../../src/models/onnx/graph-io.js';
import { findBlockOutputs } from '../../src/models/onnx/expose-blocks.js';
import { decodeModel, FLOAT, floatTensor, makeModel, node, valueInfo } from '../../src/models/onnx/proto.js';
import { globalAverage, patchGrid, tokenView, type TokenLayout } from '../../src/models/onnx/token-views.js';
import { writeTinyCnnOnnx } from '../../src/models/fixtures/tiny-cnn.js';
import { writeTinyVitOnnx } from '../../src/models/fixtures/tiny-vit.js';
import { MedprobeError } from '../../src/util/errors.js';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-onnx-graph-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('block refs', () => {
  it('parses single blocks and ranges, rejects the rest', () => {
    assert.deepEqual(parseBlockRef('block:-1'), [-1]);
    assert.deepEqual(parseBlockRef('block:-4..-1'), [-4, -3, -2, -1]);
    assert.deepEqual(parseBlockRef('block:-12..-10'), [-12, -11, -10]);
    for (const bad of ['block:1', 'block:-1..-4', 'block:0', 'block:-0..-1', 'blocks:-1', 'block:-1..']) assert.equal(parseBlockRef(bad), null, bad);
    assert.equal(blockOutputName(-3), 'medprobe_block_m3_norm');
  });
});

describe('readGraphIO', () => {
  it('reads input/output names without the weights; initializers listed as inputs are dropped', async () => {
    const cnn = path.join(dir, 'cnn.onnx');
    await writeTinyCnnOnnx(cnn);
    assert.deepEqual(await readGraphIO(cnn), { inputs: ['pixel_values'], outputs: ['pooled', 'feature_map'] });
    // IR < 4 style: the weight is also declared as a graph input.
    const bytes = makeModel({
      name: 'old',
      opset: 17,
      nodes: [node('Add', ['x', 'w'], ['y'])],
      inputs: [valueInfo('x', FLOAT, [2]), valueInfo('w', FLOAT, [2])],
      outputs: [valueInfo('y', FLOAT, [2])],
      initializers: [floatTensor('w', [2], [1, 2])],
    });
    assert.deepEqual(graphIOFromBytes(bytes), { inputs: ['x'], outputs: ['y'] });
  });

  it('missing or truncated files are MedprobeErrors', async () => {
    await assert.rejects(readGraphIO(path.join(dir, 'nope.onnx')), (e: unknown) => e instanceof MedprobeError && /not found/.test(e.message));
    const cnn = await fs.readFile(path.join(dir, 'cnn.onnx'));
    await fs.writeFile(path.join(dir, 'cut.onnx'), cnn.subarray(0, 500));
    await assert.rejects(readGraphIO(path.join(dir, 'cut.onnx')), (e: unknown) => e instanceof MedprobeError && /not a readable ONNX model/.test(e.message));
  });
});

describe('findBlockOutputs', () => {
  it('finds every block of the tiny ViT, fused and decomposed LayerNorm alike', async () => {
    for (const [depth, decomposedNorm, registers] of [
      [6, false, 0],
      [3, true, 4],
    ] as const) {
      const f = path.join(dir, `vit-${depth}.onnx`);
      await writeTinyVitOnnx(f, { depth, decomposedNorm, registers });
      const m = findBlockOutputs(decodeModel(await fs.readFile(f)), f);
      assert.equal(m.outputs.length, depth);
      assert.ok(m.norm);
      assert.equal(m.norm.output, 'last_hidden_state');
      assert.deepEqual(
        m.norm.nodes.map((n) => n.opType),
        decomposedNorm ? ['ReduceMean', 'Sub', 'Pow', 'ReduceMean', 'Add', 'Sqrt', 'Div', 'Mul', 'Add'] : ['LayerNormalization'],
      );
    }
  });
});

describe('token views (hand-worked)', () => {
  // One image, T = 6 tokens of D = 2: [CLS, REG, p00, p01, p10, p11] on a 2×2 grid.
  const tokens = Float32Array.from([9, 8, 100, 100, 1, 2, 3, 4, 5, 6, 7, 8]);
  const layout: TokenLayout = { hasCls: true, prefix: 2, gridH: 2, gridW: 2 };

  it('cls, mean-patch (registers skipped), cls+mean-patch, tokens', () => {
    assert.deepEqual([...tokenView(tokens, 1, 6, 2, layout, 'cls', 'm').data], [9, 8]);
    assert.deepEqual([...tokenView(tokens, 1, 6, 2, layout, 'mean-patch', 'm').data], [4, 5]);
    assert.deepEqual([...tokenView(tokens, 1, 6, 2, layout, 'cls+mean-patch', 'm').data], [9, 8, 4, 5]);
    assert.equal(tokenView(tokens, 1, 6, 2, layout, 'tokens', 'm').cols, 12);
  });

  it('patch-grid is channel-major [D, H/p, W/p]', () => {
    const g = patchGrid(tokens, 1, 6, 2, layout);
    assert.deepEqual(g.dims, [1, 2, 2, 2]);
    assert.deepEqual([...g.data], [1, 3, 5, 7, 2, 4, 6, 8]);
    assert.deepEqual([...tokenView(tokens, 1, 6, 2, layout, 'patch-grid', 'm').data], [1, 3, 5, 7, 2, 4, 6, 8]);
  });

  it('no CLS: cls views are refused', () => {
    assert.throws(() => tokenView(tokens, 1, 6, 2, { ...layout, hasCls: false }, 'cls', 'sam'), /has no CLS token/);
  });

  it('global average of NCHW and NHWC maps', () => {
    // [1, 2, 1, 2] NCHW: channel 0 = {1, 3}, channel 1 = {10, 30}.
    assert.deepEqual([...globalAverage(Float32Array.from([1, 3, 10, 30]), [1, 2, 1, 2], 'NCHW').data], [2, 20]);
    // Same map NHWC [1, 1, 2, 2]: pixels (1,10), (3,30).
    assert.deepEqual([...globalAverage(Float32Array.from([1, 10, 3, 30]), [1, 1, 2, 2], 'NHWC').data], [2, 20]);
  });
});
