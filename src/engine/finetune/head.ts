import { irNode, makeTensor, type Graph } from '../autodiff/ir.js';

/** How the backbone's output becomes one feature vector per image. */
export type Pooling = { kind: 'cls' } | { kind: 'mean-patch'; prefix: number } | { kind: 'gap' } | { kind: 'flatten' };

export type HeadLoss = 'softmax-ce' | 'sigmoid-bce';

export interface HeadSpec {
  /** Backbone output the head reads ([N, T, D] tokens or [N, C, h, w] / [N, C] features). */
  features: string;
  pooling: Pooling;
  /** Feature width D. */
  dim: number;
  classes: number;
  loss: HeadLoss;
  /** Initial head weights [D, K] and bias [K]. */
  weight: Float32Array;
  bias: Float32Array;
  batch: number;
}

export const HEAD_W = 'head.weight';
export const HEAD_B = 'head.bias';
/** Graph input with the targets: one-hot [N, K] (softmax) or 0/1 [N, K] (sigmoid). */
export const TARGET = 'target';
export const LOGITS = 'logits';
export const LOSS = 'loss';

/**
 * Appends a new linear head and its loss to a backbone graph, as ordinary forward nodes the
 * autodiff differentiates like the rest: pooled features → Gemm → logits → mean loss over the
 * batch (softmax cross-entropy, or binary cross-entropy with logits as softplus(z) − t·z).
 */
export function appendHead(graph: Graph, h: HeadSpec): Graph {
  const nodes = [...graph.nodes];
  const inits = new Map(graph.inits);
  const i64 = (name: string, values: number[], dims = [values.length]) => (inits.set(name, makeTensor(name, 'int64', dims, values)), name);
  const f32 = (name: string, values: ArrayLike<number>, dims: number[]) => (inits.set(name, makeTensor(name, 'float', dims, values)), name);
  let pooled: string;
  switch (h.pooling.kind) {
    case 'cls':
      nodes.push(irNode('Gather', [h.features, i64('head/cls_index', [0], [])], ['head/pooled'], { axis: 1 }));
      break;
    case 'mean-patch':
      nodes.push(irNode('Slice', [h.features, i64('head/patch_start', [h.pooling.prefix]), i64('head/patch_end', [2 ** 31 - 1]), i64('head/axis1', [1])], ['head/patches']));
      nodes.push(irNode('ReduceMean', ['head/patches'], ['head/pooled'], { axes: [1], keepdims: 0 }));
      break;
    case 'gap':
      nodes.push(irNode('GlobalAveragePool', [h.features], ['head/gap']));
      nodes.push(irNode('Flatten', ['head/gap'], ['head/pooled'], { axis: 1 }));
      break;
    case 'flatten':
      nodes.push(irNode('Flatten', [h.features], ['head/pooled'], { axis: 1 }));
      break;
  }
  pooled = 'head/pooled';
  f32(HEAD_W, h.weight, [h.dim, h.classes]);
  f32(HEAD_B, h.bias, [h.classes]);
  nodes.push(irNode('Gemm', [pooled, HEAD_W, HEAD_B], [LOGITS]));
  const perSample = f32('head/minus_inv_batch', [-1 / h.batch], []);
  if (h.loss === 'softmax-ce') {
    nodes.push(irNode('LogSoftmax', [LOGITS], ['head/logp'], { axis: 1 }));
    nodes.push(irNode('Mul', ['head/logp', TARGET], ['head/tlogp']));
    nodes.push(irNode('ReduceSum', ['head/tlogp'], ['head/sum'], { keepdims: 0 }));
    nodes.push(irNode('Mul', ['head/sum', perSample], [LOSS]));
  } else {
    // mean over N·K of softplus(z) − t·z
    nodes.push(irNode('Softplus', [LOGITS], ['head/sp']));
    nodes.push(irNode('Mul', [LOGITS, TARGET], ['head/tz']));
    nodes.push(irNode('Sub', ['head/sp', 'head/tz'], ['head/bce']));
    nodes.push(irNode('ReduceSum', ['head/bce'], ['head/sum'], { keepdims: 0 }));
    nodes.push(irNode('Mul', ['head/sum', f32('head/inv_count', [1 / (h.batch * h.classes)], [])], [LOSS]));
  }
  return { ...graph, nodes, inits, inputs: [...graph.inputs, { name: TARGET, type: 'float', dims: [h.batch, h.classes] }], outputs: [LOSS, LOGITS] };
}
