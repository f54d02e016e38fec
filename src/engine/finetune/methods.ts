import { MedprobeError } from '../../util/errors.js';
import { createRng } from '../../util/random.js';
import type { NodeProto } from '../../models/onnx/proto.js';
import { attrOf, irNode, makeTensor, numel, type Graph } from '../autodiff/ir.js';
import { HEAD_B, HEAD_W } from './head.js';

/**
 * The study's LoRA settings (Section 4.4): r 48, α 16, dropout 0.1, on the attention's q/k/v projection.
 * A target names module paths: `qkv` matches a path that is `qkv` or ends in `.qkv`; a target with
 * `*` is a glob over the whole path (`*_project` for Keras-named convs).
 */
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

/** A module's path: the weight's name without `.weight`, or the node path (`/blocks.0/attn/qkv/MatMul`, `/graph/block_2_expand/Conv`). */
function moduleKey(weight: string, nodeName: string): string {
  if (weight.endsWith('.weight')) return weight.slice(0, -'.weight'.length);
  return nodeName.replace(/^\//, '').replace(/\/(MatMul|Gemm|Conv)(_\d+)?$/, '').replace(/\//g, '.');
}

function matchesTarget(key: string, target: string): boolean {
  if (!target.includes('*')) return key === target || key.endsWith(`.${target}`);
  const glob = target.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${glob}$`).test(key);
}

/** The float initializers a gradient can reach (weights, biases, embeddings, norms), not scalar constants. */
function parameterTensors(graph: Graph): string[] {
  const used = new Set(graph.nodes.flatMap((n) => n.input!));
  return [...graph.inits.entries()].filter(([name, t]) => t.dataType === 1 && used.has(name) && numel((t.dims ?? []).map(Number)) >= 2 && name !== HEAD_W && name !== HEAD_B).map(([n]) => n);
}

/**
 * Graph edit + trainable set for each adaptation method. LoRA wraps each matching Linear
 * y = xW (+b) (or 1×1 Conv) as y + (α/r)·dropout(x)·A·B with A [in, r] Kaiming-uniform and B [r, out] zero
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
    if (n.opType !== 'MatMul' && n.opType !== 'Gemm' && n.opType !== 'Conv') continue;
    const w = n.input![1];
    const wt = inits.get(w);
    const wdims = (wt?.dims ?? []).map(Number);
    if (!wt || (n.opType === 'Conv' ? wdims.length !== 4 : wdims.length !== 2)) continue;
    const key = moduleKey(w, n.name ?? '');
    if (!targets.some((t) => matchesTarget(key, t))) continue;
    const A = `lora.${key}.A`;
    const B = `lora.${key}.B`;
    const p = `lora/${key}`;
    let din: number;
    let dout: number;
    let down: NodeProto;
    let up: NodeProto;
    if (n.opType === 'Conv') {
      // A 1×1 conv is a Linear over channels at every pixel: the adapter is two 1×1 convs, A
      // [r, in] with the base conv's strides, then B [out, r], i.e. W + (α/r)·B·A (PEFT's Conv2d layout).
      const [co, ci, kh, kw] = wdims;
      const group = attrOf<number>(n, 'group', 1);
      const pads = attrOf<number[]>(n, 'pads', [0, 0, 0, 0]);
      if (kh !== 1 || kw !== 1 || group !== 1 || pads.some((v) => v !== 0) || attrOf<string>(n, 'auto_pad', 'NOTSET') !== 'NOTSET') {
        throw new MedprobeError(`LoRA target '${key}' is a ${kh}×${kw} Conv${group !== 1 ? ` with ${group} groups` : ''}; adapters wrap Linear layers and ungrouped, unpadded 1×1 Convs only`, {
          hint: `narrow lora.targets so it does not match '${key}'`,
        });
      }
      [din, dout] = [ci, co];
      const strides = attrOf<number[]>(n, 'strides', [1, 1]);
      inits.set(A, makeTensor(A, 'float', [rank, din, 1, 1], kaimingA(rng, din, rank)));
      inits.set(B, makeTensor(B, 'float', [dout, rank, 1, 1], new Float32Array(rank * dout)));
      down = irNode('Conv', ['', A], [`${p}/xa`], { kernel_shape: [1, 1], strides });
      up = irNode('Conv', [`${p}/xa`, B], [`${p}/xab`], { kernel_shape: [1, 1] });
    } else {
      if (n.opType === 'Gemm' && attrOf<number>(n, 'transA', 0)) continue;
      const transB = n.opType === 'Gemm' && attrOf<number>(n, 'transB', 0) === 1;
      [din, dout] = transB ? [wdims[1], wdims[0]] : wdims;
      inits.set(A, makeTensor(A, 'float', [din, rank], kaimingA(rng, din, rank)));
      inits.set(B, makeTensor(B, 'float', [rank, dout], new Float32Array(rank * dout)));
      down = irNode('MatMul', ['', A], [`${p}/xa`]);
      up = irNode('MatMul', [`${p}/xa`, B], [`${p}/xab`]);
    }
    const x = n.input![0];
    const y = n.output![0];
    const base = `${y}/lora_base`;
    n.output![0] = base;
    const extra = [];
    down.input![0] = x;
    if (opts.training && dropout > 0) {
      extra.push(irNode('Dropout', [x, 'lora/ratio', 'lora/training'], [`${p}/drop`], { seed: rng.int(2 ** 31) }));
      down.input![0] = `${p}/drop`;
    }
    extra.push(down, up, irNode('Mul', [`${p}/xab`, 'lora/scale'], [`${p}/delta`]), irNode('Add', [base, `${p}/delta`], [y]));
    nodes.splice(i + 1, 0, ...extra);
    i += extra.length;
    trainable.push(A, B);
    modules.push(key);
  }
  if (!modules.length) {
    throw new MedprobeError(`LoRA found no Linear layer or 1×1 Conv matching ${targets.join(', ')}`, {
      hint: 'name the target modules with lora.targets (e.g. qkv, attn.proj, query, value, or a glob such as *_project); they are matched against weight names and node paths',
    });
  }
  return { graph: { ...graph, nodes, inits }, trainable, modules };
}

/** Kaiming-uniform with a = √5, as nn.Linear / nn.Conv2d / PEFT initialise lora_A: bound = 1/√fan_in. */
function kaimingA(rng: ReturnType<typeof createRng>, fanIn: number, rank: number): number[] {
  const bound = 1 / Math.sqrt(fanIn);
  return Array.from({ length: fanIn * rank }, () => (2 * rng.next() - 1) * bound);
}
