import * as ort from 'onnxruntime-node';
import { MedprobeError } from '../../util/errors.js';
import { GraphBuilder } from '../graph.js';
import type { NodeProto, TensorProto } from '../../models/onnx/proto.js';
import { elemType, makeTensor, nodeLabel, numel, tensorInfo, type Graph, type Info } from './ir.js';
import { failAt, makeAttr, REEXPORT_FOR_AUTODIFF } from './rule.js';
import { RULES } from './ops/index.js';
import { SMALL } from './ops/elementwise.js';

export interface FoldOptions {
  /** Fixed dims for every graph input (batch and resolution included). */
  inputDims: Record<string, number[]>;
  /** Initializers that stay variable (the trainable tensors): never folded into constants. */
  variables: ReadonlySet<string>;
  /** ORT session options for the one-off evaluation of folded float tensors. */
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

export interface Folded {
  graph: Graph;
  /** Dims, type and (small, constant) values of every tensor left in the graph. */
  infos: Map<string, Info>;
}

/**
 * Fixes batch and resolution, then folds everything that no longer depends on the input's
 * values or a trainable tensor into constants: shape arithmetic (Shape → Gather → Concat →
 * Reshape chains) is evaluated here in JS, larger frozen subgraphs (a position embedding
 * interpolated by Resize) once in ONNX Runtime. A Resize that keeps its input's size becomes
 * an Identity. What is left has static dims everywhere, which the gradient rules rely on.
 */
export async function foldShapes(graph: Graph, opts: FoldOptions): Promise<Folded> {
  const infos = new Map<string, Info>();
  const isStatic = new Set<string>();
  for (const [name, t] of graph.inits) {
    const dims = (t.dims ?? []).map(Number);
    if (opts.variables.has(name) || numel(dims) > SMALL) infos.set(name, { dims, type: elemType(t.dataType, `initializer ${name}`) });
    else infos.set(name, tensorInfo(t));
    if (!opts.variables.has(name)) isStatic.add(name);
  }
  // Invariant: the trainable tensors are picked from the graph's initializers (engine/finetune/methods.ts).
  for (const v of opts.variables) if (!graph.inits.has(v)) throw new MedprobeError(`trainable tensor '${v}' is not an initializer of the model`);
  for (const inp of graph.inputs) {
    const dims = opts.inputDims[inp.name];
    if (!dims) throw new MedprobeError(`the model has a second input '${inp.name}' besides the image`, { hint: 'fine-tuning feeds the image only; export the model with the image as its one input' });
    if (dims.length !== inp.dims.length || inp.dims.some((d, i) => typeof d === 'number' && d !== dims[i])) {
      throw new MedprobeError(`input '${inp.name}' is [${inp.dims.join(', ')}]; [${dims.join(', ')}] does not fit it`, {
        hint: "set the card's input.size to the size the model was exported at, or re-export it with dynamic height/width",
      });
    }
    infos.set(inp.name, { dims, type: inp.type });
  }
  infos.set('', { dims: [], type: 'float' });

  for (const node of graph.nodes) {
    const rule = RULES[node.opType!];
    if (!rule || (node.domain && node.domain !== 'ai.onnx')) failAt(node, `operator ${node.domain ? `${node.domain}.` : ''}${node.opType} has no rule in medprobe's autodiff`);
    const ins = node.input!.map((n) => {
      const i = infos.get(n);
      if (!i) failAt(node, `input '${n}' is not produced before it is used`);
      return i;
    });
    const outs = rule.infer({ node, ins, opset: graph.opset, attr: makeAttr(node), fail: (why) => failAt(node, why) });
    const st = node.opType === 'Shape' || node.input!.every((n) => n === '' || isStatic.has(n));
    node.output!.forEach((o, k) => {
      if (!o) return;
      infos.set(o, outs[k] ?? { dims: [], type: 'float' });
      if (st) isStatic.add(o);
    });
  }

  // Static tensors the rest of the graph reads: constants from here on.
  const live = graph.nodes.filter((n) => !n.output!.every((o) => !o || isStatic.has(o)));
  const needed = new Set<string>([...live.flatMap((n) => n.input!), ...graph.outputs].filter((n) => n && isStatic.has(n) && !graph.inits.has(n)));
  const consts = new Map<string, TensorProto>();
  const viaOrt: string[] = [];
  for (const n of needed) {
    const info = infos.get(n)!;
    if (info.value) consts.set(n, makeTensor(n, info.type, info.dims, info.value));
    else viaOrt.push(n);
  }
  if (viaOrt.length) for (const [n, t] of await evaluateStatic(graph, infos, isStatic, viaOrt, opts.sessionOptions)) consts.set(n, t);

  const nodes = live.map((n) => simplify({ ...n, input: [...n.input!], output: [...n.output!] }, infos));
  const inits = new Map<string, TensorProto>();
  const used = new Set([...nodes.flatMap((n) => n.input!), ...graph.outputs]);
  for (const [name, t] of graph.inits) if (used.has(name)) inits.set(name, t);
  for (const [name, t] of consts) {
    inits.set(name, t);
    infos.set(name, tensorInfo(t));
  }
  return { graph: { ...graph, nodes: prune(nodes, graph.outputs), inits }, infos };
}

/** A Resize to its own size with a scale of exactly 1 samples the input at its own pixels. */
function simplify(node: NodeProto, infos: Map<string, Info>): NodeProto {
  if (node.opType !== 'Resize') return node;
  const x = infos.get(node.input![0])!;
  const y = infos.get(node.output![0])!;
  const scales = node.input![2] ? infos.get(node.input![2])?.value : undefined;
  const unitScale = !scales || scales.length === 0 || Array.from(scales).every((s) => s === 1);
  const mode = makeAttr(node)('coordinate_transformation_mode', 'half_pixel');
  if (unitScale && x.dims.every((d, i) => d === y.dims[i]) && ['half_pixel', 'pytorch_half_pixel', 'asymmetric', 'align_corners'].includes(mode)) {
    return { opType: 'Identity', name: node.name, input: [node.input![0]], output: [node.output![0]], attribute: [] };
  }
  return node;
}

/** Drops nodes whose outputs nothing reads (keeping the order). */
function prune(nodes: NodeProto[], outputs: string[]): NodeProto[] {
  const want = new Set(outputs);
  const keep: NodeProto[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (n.output!.some((o) => want.has(o))) {
      keep.push(n);
      for (const x of n.input!) if (x) want.add(x);
    }
  }
  return keep.reverse();
}

/** Runs the frozen subgraph that produces `names` once in ORT and returns them as initializers. */
async function evaluateStatic(graph: Graph, infos: Map<string, Info>, isStatic: Set<string>, names: string[], options?: ort.InferenceSession.SessionOptions): Promise<Map<string, TensorProto>> {
  const g = new GraphBuilder('medprobe_fold', 'fold/');
  const want = new Set(names);
  const nodes: NodeProto[] = [];
  const known = (t: string) => !t || graph.inits.has(t) || !!infos.get(t)?.value;
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (!n.output!.some((o) => want.has(o))) continue;
    if (n.output!.every((o) => !o || known(o))) continue;
    nodes.push(n);
    for (const x of n.input!) if (x && !known(x)) want.add(x);
  }
  const inputs = new Set(nodes.reverse().flatMap((n) => n.input!).filter((x) => x));
  for (const x of inputs) {
    if (graph.inits.has(x)) g.addInitializer(graph.inits.get(x)!);
    else if (infos.get(x)?.value && isStatic.has(x)) g.addInitializer(makeTensor(x, infos.get(x)!.type, infos.get(x)!.dims, infos.get(x)!.value!));
  }
  for (const n of nodes) g.addNode(n);
  for (const n of names) g.output(n, infos.get(n)!.dims, infos.get(n)!.type === 'int64' ? 'int64' : 'float');
  const session = await ort.InferenceSession.create(g.toBytes(graph.opset), options ?? {});
  try {
    const out = await session.run({});
    const res = new Map<string, TensorProto>();
    for (const n of names) {
      const t = out[n];
      const info = infos.get(n)!;
      res.set(n, makeTensor(n, info.type, info.dims, t.type === 'int64' ? Array.from(t.data as BigInt64Array, Number) : (t.data as Float32Array)));
    }
    return res;
  } catch (e) {
    throw new MedprobeError(`folding the frozen subgraph failed near ${nodes.length ? nodeLabel(nodes[0]) : 'the graph'}: ${(e as Error).message}`, { hint: REEXPORT_FOR_AUTODIFF });
  } finally {
    await session.release();
  }
}
