import { MedprobeError } from '../../util/errors.js';
import { createRng } from '../../util/random.js';
import { attrOf, irNode, makeTensor, numel, type Graph } from '../autodiff/ir.js';
import { HEAD_B, HEAD_W } from './head.js';

/** The study's LoRA settings (Section 4.4): r 48, α 16, dropout 0.1, on the attention's q/k/v projection. */
export const LORA_DEFAULTS = { rank: 48, alpha: 16, dropout: 0.1, targets: ['qkv', 'query', 'value'] as string[] };

export type Method =
  | { kind: 'lora'; rank?: number; alpha?: number; dropout?: number; targets?: string[] }
  | { kind: 'bitfit' }
  | { kind: 'full' }
  | { kind: 'linear' };

export interface Adapted {
  graph: Graph;
  /** Trainable tensors besides the head. */
  trainable: string[];
  /** LoRA modules that were wrapped (for the record). */
  modules: string[];
}

/** A Linear's module path: the weight's name without `.weight`, or the torch.onnx node path (`/blocks.0/attn/qkv/MatMul`). */
function moduleKey(weight: string, nodeName: string): string {
  if (weight.endsWith('.weight')) return weight.slice(0, -'.weight'.length);
  return nodeName.replace(/^\//, '').replace(/\/(MatMul|Gemm)(_\d+)?$/, '').replace(/\//g, '.');
}

/** The float initializers a gradient can reach (weights, biases, embeddings, norms), not scalar constants. */
function parameterTensors(graph: Graph): string[] {
  const used = new Set(graph.nodes.flatMap((n) => n.input!));
  return [...graph.inits.entries()].filter(([name, t]) => t.dataType === 1 && used.has(name) && numel((t.dims ?? []).map(Number)) >= 2 && name !== HEAD_W && name !== HEAD_B).map(([n]) => n);
}

/**
 * Graph edit + trainable set for each adaptation method. LoRA wraps each matching Linear
 * y = xW (+b) as y + (α/r)·dropout(x)·A·B with A [in, r] Kaiming-uniform and B [r, out] zero
 * (PEFT's initialisation), so the adapted model starts equal to the backbone.
 */
export function adapt(graph: Graph, method: Method, opts: { seed: number; training: boolean }): Adapted {
  switch (method.kind) {
    case 'linear':
      return { graph, trainable: [], modules: [] };
    case 'full':
      return { graph, trainable: parameterTensors(graph), modules: [] };
    case 'bitfit': {
      // By name (torch.onnx keeps `*.bias`), or by place: the bias input of a Conv/Gemm (exports that renamed it, BN-folded convs).
      const used = new Set(graph.nodes.flatMap((n) => n.input!));
      const placed = new Set(graph.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').map((n) => n.input![2]).filter(Boolean));
      const biases = [...graph.inits.entries()].filter(([n, t]) => t.dataType === 1 && (t.dims ?? []).length === 1 && used.has(n) && (/bias$/.test(n) || placed.has(n)) && n !== HEAD_B).map(([n]) => n);
      if (!biases.length) throw new MedprobeError('BitFit found no bias tensors in this model', { hint: 'biases are recognised by initializer names ending in "bias" (torch.onnx keeps them)' });
      return { graph, trainable: biases, modules: [] };
    }
    case 'lora':
      return lora(graph, method, opts);
  }
}

function lora(graph: Graph, m: Extract<Method, { kind: 'lora' }>, opts: { seed: number; training: boolean }): Adapted {
  const rank = m.rank ?? LORA_DEFAULTS.rank;
  const alpha = m.alpha ?? LORA_DEFAULTS.alpha;
  const dropout = m.dropout ?? LORA_DEFAULTS.dropout;
  const targets = m.targets ?? LORA_DEFAULTS.targets;
  const rng = createRng(opts.seed);
  const inits = new Map(graph.inits);
  const nodes = [...graph.nodes];
  const trainable: string[] = [];
  const modules: string[] = [];
  inits.set('lora/scale', makeTensor('lora/scale', 'float', [], [alpha / rank]));
  inits.set('lora/ratio', makeTensor('lora/ratio', 'float', [], [dropout]));
  inits.set('lora/training', makeTensor('lora/training', 'bool', [], [1]));
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.opType !== 'MatMul' && n.opType !== 'Gemm') continue;
    const w = n.input![1];
    const wt = inits.get(w);
    if (!wt || (wt.dims ?? []).length !== 2) continue;
    const key = moduleKey(w, n.name ?? '');
    if (!targets.some((t) => key === t || key.endsWith(`.${t}`))) continue;
    if (n.opType === 'Gemm' && attrOf<number>(n, 'transA', 0)) continue;
    const [d0, d1] = (wt.dims ?? []).map(Number);
    const transB = n.opType === 'Gemm' && attrOf<number>(n, 'transB', 0) === 1;
    const [din, dout] = transB ? [d1, d0] : [d0, d1];
    const A = `lora.${key}.A`;
    const B = `lora.${key}.B`;
    // Kaiming-uniform with a = √5, as nn.Linear / PEFT initialise lora_A: bound = 1/√in.
    const bound = 1 / Math.sqrt(din);
    inits.set(A, makeTensor(A, 'float', [din, rank], Array.from({ length: din * rank }, () => (2 * rng.next() - 1) * bound)));
    inits.set(B, makeTensor(B, 'float', [rank, dout], new Float32Array(rank * dout)));
    const x = n.input![0];
    const y = n.output![0];
    const base = `${y}/lora_base`;
    n.output![0] = base;
    const p = `lora/${key}`;
    const extra = [];
    let xin = x;
    if (opts.training && dropout > 0) {
      extra.push(irNode('Dropout', [x, 'lora/ratio', 'lora/training'], [`${p}/drop`], { seed: rng.int(2 ** 31) }));
      xin = `${p}/drop`;
    }
    extra.push(
      irNode('MatMul', [xin, A], [`${p}/xa`]),
      irNode('MatMul', [`${p}/xa`, B], [`${p}/xab`]),
      irNode('Mul', [`${p}/xab`, 'lora/scale'], [`${p}/delta`]),
      irNode('Add', [base, `${p}/delta`], [y]),
    );
    nodes.splice(i + 1, 0, ...extra);
    i += extra.length;
    trainable.push(A, B);
    modules.push(key);
  }
  if (!modules.length) {
    throw new MedprobeError(`LoRA found no Linear layer matching ${targets.join(', ')}`, { hint: 'name the target modules with lora.targets (e.g. qkv, attn.proj, query, value); they are matched against weight names and torch.onnx node paths' });
  }
  return { graph: { ...graph, nodes, inits }, trainable, modules };
}
