import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBackbone } from '../../src/models/open.js';
import { MedprobeError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/random.js';

// A converted TF graph model written by hand (what tensorflowjs_converter emits for a SavedModel):
// x[N,4,4,3] → 1×1 Conv2D with W[3,2] → Relu → Mean over H,W. The expected features are computed
// here in plain JS from W, independent of TF.js.
const S = 4;
const W = [0.5, -1, 2, 0.25, -0.75, 1.5]; // [cin=3][cout=2], row-major
let dir: string;

const dim = (...sizes: number[]) => ({ dim: sizes.map((s) => ({ size: String(s) })) });
const b64 = (s: string) => Buffer.from(s).toString('base64');

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medprobe-tfjs-graph-'));
  const model = path.join(dir, 'graph');
  await fs.mkdir(model);
  const ints = (...v: number[]) => ({ list: { i: v.map(String) } });
  const nodes = [
    { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dim(-1, S, S, 3) } } },
    { name: 'w', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim(1, 1, 3, 2) } } } },
    { name: 'axes', op: 'Const', attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32', tensorShape: dim(2) } } } },
    {
      name: 'block/conv',
      op: 'Conv2D',
      input: ['x', 'w'],
      attr: { T: { type: 'DT_FLOAT' }, strides: ints(1, 1, 1, 1), dilations: ints(1, 1, 1, 1), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') } },
    },
    { name: 'block/relu', op: 'Relu', input: ['block/conv'], attr: { T: { type: 'DT_FLOAT' } } },
    { name: 'pool', op: 'Mean', input: ['block/relu', 'axes'], attr: { T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
  ];
  const weights = Buffer.concat([Buffer.from(new Float32Array(W).buffer), Buffer.from(new Int32Array([1, 2]).buffer)]);
  await fs.writeFile(path.join(model, 'group1-shard1of1.bin'), weights);
  await fs.writeFile(
    path.join(model, 'model.json'),
    JSON.stringify({
      format: 'graph-model',
      generatedBy: 'hand-written test fixture',
      modelTopology: { node: nodes, library: {}, versions: {} },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [{ name: 'w', shape: [1, 1, 3, 2], dtype: 'float32' }, { name: 'axes', shape: [2], dtype: 'int32' }] }],
    }),
  );
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function card(outputs: Record<string, string>, pool?: Record<string, string>): Promise<string> {
  const file = path.join(dir, `card-${Object.values(outputs).join('-').replace(/\//g, '_')}.json`);
  const input = { name: 'x', layout: 'NHWC', size: S, rescale: 1, mean: [0, 0, 0], std: [1, 1, 1] };
  await fs.writeFile(file, JSON.stringify({ name: 'graph', file: 'graph', format: 'tfjs-graph', input, outputs, ...(pool ? { pool } : {}) }));
  return file;
}

describe('TfjsBackbone on a graph model', () => {
  it('reads an internal node and a final node; both equal relu(x·W) averaged, computed in JS', async () => {
    const bb = await openBackbone({ card: await card({ pooled: 'pool', map: 'block/relu' }, { map: 'avg' }) });
    try {
      const n = 2;
      const rng = createRng(3);
      const x = new Float32Array(n * 3 * S * S).map(() => rng.next() * 2 - 1); // NCHW, as backbones take it
      const out = await bb.run(x, n, ['pooled', 'map']);
      for (let i = 0; i < n; i++)
        for (let o = 0; o < 2; o++) {
          let s = 0;
          for (let p = 0; p < S * S; p++) {
            let v = 0;
            for (let c = 0; c < 3; c++) v += x[(i * 3 + c) * S * S + p] * W[c * 2 + o];
            s += Math.max(0, v);
          }
          assert.ok(Math.abs(out.pooled.data[i * 2 + o] - s / (S * S)) < 1e-5, `pooled[${i},${o}]`);
          assert.ok(Math.abs(out.map.data[i * 2 + o] - s / (S * S)) < 1e-5, `map[${i},${o}]`);
        }
    } finally {
      await bb.dispose();
    }
  });

  it('a node name not in the graph → MedprobeError with close node names', async () => {
    await assert.rejects(openBackbone({ card: await card({ pooled: 'block/rel' }) }), (e: unknown) => e instanceof MedprobeError && /not a node of graph model/.test(e.message) && (e.hint ?? '').includes('block/relu'));
  });
});
