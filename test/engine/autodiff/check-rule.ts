import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { AttrValue } from '../../../src/engine/graph.js';
import { irNode, makeTensor, numel, type Graph } from '../../../src/engine/autodiff/ir.js';
import { buildTrainingGraph } from '../../../src/engine/autodiff/training-graph.js';
import { createRng } from '../../../src/util/random.js';

export interface RuleCase {
  op: string;
  /** Float inputs are differentiated; `int64`/`fixed` inputs are constants (shapes, indices, exponents). */
  inputs: ({ dims: number[]; values?: number[]; int64?: false; bool?: false; fixed?: boolean } | { int64: true; dims?: number[]; values: number[] } | { bool: true; dims: number[]; values: number[] } | null)[];
  attrs?: Record<string, AttrValue>;
  outputs?: number;
  /** Keep generated values away from kinks (e.g. |x| > margin for Relu). */
  margin?: number;
  positive?: boolean;
  seed?: number;
}

/**
 * One op's gradient rule against central finite differences of the same op run forward in ORT.
 * The op's outputs are reduced to a scalar through fixed random weights, so every output
 * element's gradient counts. float32 with h = 1e-2: errors of a few 1e-4 are rounding.
 */
export async function checkRule(c: RuleCase, tol = 3e-3): Promise<void> {
  const rng = createRng(c.seed ?? 1);
  const inits = new Map<string, ReturnType<typeof makeTensor>>();
  const trainable: string[] = [];
  const names = c.inputs.map((inp, i) => {
    if (!inp) return '';
    const name = `x${i}`;
    if ('bool' in inp && inp.bool) {
      inits.set(name, makeTensor(name, 'bool', inp.dims, inp.values));
      return name;
    }
    if (inp.int64) {
      inits.set(name, makeTensor(name, 'int64', inp.dims ?? [inp.values.length], inp.values));
      return name;
    }
    const n = numel(inp.dims);
    const values =
      inp.values ??
      Array.from({ length: n }, () => {
        let v = rng.normal();
        if (c.margin) v = Math.sign(v) * (Math.abs(v) + c.margin);
        return c.positive ? Math.abs(v) + 0.5 : v;
      });
    inits.set(name, makeTensor(name, 'float', inp.dims, values));
    if (!inp.fixed) trainable.push(name);
    return name;
  });
  const outs = Array.from({ length: c.outputs ?? 1 }, (_, k) => `y${k}`);
  const nodes = [irNode(c.op, names, outs, c.attrs)];
  // loss = Σ_k Σ y_k ⊙ R_k, R_k random; shapes from a probe run of the op alone.
  const probe = await buildTrainingGraph({ graph: { nodes, inits, inputs: [], outputs: outs, opset: 17 }, trainable: [], inputDims: {}, outputs: outs });
  const ps = await ort.InferenceSession.create(probe.bytes);
  const shapes = Object.fromEntries(Object.entries(await ps.run({})).map(([k, t]) => [k, t.dims.map(Number)]));
  const parts = outs.map((o, k) => {
    const r = `r${k}`;
    inits.set(r, makeTensor(r, 'float', shapes[o], Array.from({ length: numel(shapes[o]) }, () => rng.normal())));
    nodes.push(irNode('Mul', [o, r], [`m${k}`]));
    nodes.push(irNode('ReduceSum', [`m${k}`], [`s${k}`], { keepdims: 0 }));
    return `s${k}`;
  });
  if (parts.length > 1) nodes.push(irNode('Sum', parts, ['loss']));
  else nodes.push(irNode('Identity', parts, ['loss']));
  const graph: Graph = { nodes, inits, inputs: [], outputs: ['loss'], opset: 17 };
  const train = await buildTrainingGraph({ graph, loss: 'loss', trainable, inputDims: {}, outputs: [] });
  const fwd = await buildTrainingGraph({ graph, trainable, inputDims: {}, outputs: ['loss'] });
  const [ts, fs] = await Promise.all([ort.InferenceSession.create(train.bytes), ort.InferenceSession.create(fwd.bytes)]);
  const feeds = Object.fromEntries(train.params.map((p) => [p.name, new ort.Tensor('float32', Float32Array.from(p.init), p.dims)]));
  const out = await ts.run(feeds);
  const lossAt = async (): Promise<number> => ((await fs.run(feeds)).loss.data as Float32Array)[0];
  assert.ok(Math.abs((out.loss.data as Float32Array)[0] - (await lossAt())) < 1e-4, 'training graph loss equals the forward loss');
  const h = 1e-2;
  for (const p of train.params) {
    const g = out[train.gradOutput(p.name)].data as Float32Array;
    assert.equal(g.length, numel(p.dims), `${c.op}: gradient of ${p.name} has the input's size`);
    const x = feeds[p.name].data as Float32Array;
    let scale = 0;
    const fd = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      x[i] = x0 + h;
      const up = await lossAt();
      x[i] = x0 - h;
      const down = await lossAt();
      x[i] = x0;
      fd[i] = (up - down) / (2 * h);
      scale = Math.max(scale, Math.abs(fd[i]));
    }
    for (let i = 0; i < x.length; i++) {
      assert.ok(Math.abs(g[i] - fd[i]) <= tol * Math.max(1, scale), `${c.op} d${p.name}[${i}]: rule ${g[i]} vs finite difference ${fd[i]}`);
    }
  }
}
