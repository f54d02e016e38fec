import type * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../graph.js';
import { appendBackward } from './backward.js';
import { foldShapes } from './fold.js';
import { tensorValues, type Graph } from './ir.js';

export interface TrainingGraphSpec {
  /** The forward graph, already carrying the loss (and any head) as nodes. */
  graph: Graph;
  /** Scalar loss tensor; omit for a forward-only (evaluation) graph. */
  loss?: string;
  /** Initializers that become graph inputs, fed each step; gradients are returned for them when `loss` is set. */
  trainable: readonly string[];
  /** Fixed dims of every graph input. */
  inputDims: Record<string, number[]>;
  /** Forward tensors to return as well (logits, say). */
  outputs: readonly string[];
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

export interface TrainingGraph {
  bytes: Uint8Array;
  /** Trainable tensors with their dims and initial values (from the model), in feed order. */
  params: { name: string; dims: number[]; init: Float32Array }[];
  /** Graph inputs (besides the trainable tensors) the graph reads. */
  inputs: string[];
  /** Graph output holding the gradient of a trainable tensor. */
  gradOutput(param: string): string;
}

/**
 * The graph ORT runs for fine-tuning: folded to fixed dims, trainable tensors turned into
 * inputs, and — with a loss — the backward nodes appended, returning the loss, the requested
 * forward outputs and one `grad/<name>` per trainable tensor in one session.run.
 */
export async function buildTrainingGraph(spec: TrainingGraphSpec): Promise<TrainingGraph> {
  const variables = new Set(spec.trainable);
  const { graph, infos } = await foldShapes({ ...spec.graph, outputs: [...(spec.loss ? [spec.loss] : []), ...spec.outputs] }, { inputDims: spec.inputDims, variables, sessionOptions: spec.sessionOptions });
  const g = new GraphBuilder(spec.loss ? 'medprobe_train' : 'medprobe_forward', 'ad/');
  const read = new Set(graph.nodes.flatMap((n) => n.input!));
  const inputs = graph.inputs.filter((inp) => read.has(inp.name));
  for (const inp of inputs) g.input(inp.name, spec.inputDims[inp.name], inp.type === 'int64' ? 'int64' : 'float');
  const params = spec.trainable.map((name) => ({ name, dims: infos.get(name)!.dims, init: Float32Array.from(tensorValues(spec.graph.inits.get(name)!)) }));
  for (const p of params) g.input(p.name, p.dims);
  for (const [name, t] of graph.inits) if (!variables.has(name)) g.addInitializer(t);
  for (const n of graph.nodes) g.addNode(n);
  const gradName = (p: string) => `grad/${p}`;
  if (spec.loss) {
    const grads = appendBackward(g, graph, infos, spec.loss, spec.trainable);
    g.output(spec.loss, infos.get(spec.loss)!.dims);
    for (const p of params) g.output(g.op1('Identity', [grads.get(p.name)!], {}, gradName(p.name)), p.dims);
  }
  for (const o of spec.outputs) g.output(o, infos.get(o)!.dims);
  return { bytes: g.toBytes(graph.opset), params, inputs: inputs.map((i) => i.name), gradOutput: gradName };
}
