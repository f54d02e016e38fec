import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MedprobeError } from '../../util/errors.js';
import { blockOutputName } from './block-ref.js';
import { editedModelPath, writeEditedModel } from './external-data.js';
import type { Precision } from './device.js';
import { convertToFloat16 } from './fp16.js';
import { quantizeDynamicInt8 } from './int8.js';
import { FLOAT, decodeModel, type GraphProto, type ModelProto, type NodeProto } from './proto.js';

/**
 * Exposes the outputs of a ViT's last N transformer blocks as extra graph outputs, each passed
 * through a copy of the model's final LayerNorm (what DINOv2's linear evaluation does with
 * `get_intermediate_layers(n, norm=True)`), so ORT computes them in the same forward pass.
 *
 * Matching (works on torch.onnx / HF-optimum exports of pre-norm ViTs: DINOv2, ViT, DeiT, CLIP-vision):
 *   1. from the token output walk back through Identity to the final LayerNorm — a
 *      `LayerNormalization` node (opset ≥ 17) or the decomposed chain
 *      ReduceMean→Sub→Pow→ReduceMean→Add(eps)→Sqrt→Div→Mul(γ)→Add(β) of older opsets;
 *      its input x is the last block's output;
 *   2. a block output is a *pre-norm residual Add*: `Add(r, branch)` where r also feeds a
 *      LayerNorm (LayerNormalization or ReduceMean on r) and r is an ancestor of `branch`
 *      (the branch is LN(r) → attention or MLP → optional LayerScale Mul). Each block has two
 *      such Adds (after attention, after the MLP); the second one's r is the first one's output;
 *   3. walk back two Adds per block until the residual input is no longer such an Add
 *      (reaching the embeddings: patch embed + position embedding, CLS/register Concat).
 * When the token output is itself a residual Add (no final norm, as in CLIP-vision's
 * last_hidden_state), block outputs are exposed raw, consistent with the model's own output.
 * Graphs whose residual Adds were fused away (onnxruntime transformer optimizer's
 * SkipLayerNormalization) don't match; export without `--optimize`.
 */
export interface ExposedBlocks {
  /** Edited model file (cached). */
  file: string;
  /** How many last blocks it outputs (blockOutputName(-k) for k = 1..exposed). */
  exposed: number;
}

export async function exposeLastBlocks(
  modelPath: string,
  sha256: string,
  wanted: number,
  cacheDir: string,
  opts: { tokensOutput?: string; needed?: number; precision?: Exclude<Precision, 'fp32'> } = {},
): Promise<ExposedBlocks> {
  const dir = path.join(cacheDir, 'models', 'edited');
  const model = decodeModel(await fs.readFile(modelPath));
  const suffix = opts.precision ? `-${opts.precision}` : '';
  const cached = editedModelPath(dir, `${sha256}-${wanted}${suffix}`, model);
  if (await exists(cached)) return { file: cached, exposed: wanted };
  const blocks = findBlockOutputs(model, modelPath, opts.tokensOutput);
  const needed = opts.needed ?? wanted;
  if (needed > blocks.outputs.length) {
    throw new MedprobeError(`${modelPath} has ${blocks.outputs.length} transformer blocks; block:-${needed} does not exist`, {
      file: modelPath,
      hint: `use block indices from -${blocks.outputs.length} to -1`,
    });
  }
  const n = Math.min(wanted, blocks.outputs.length);
  addNormedBlockOutputs(model, blocks, n);
  // Blocks are found and exposed on the fp32 graph, then the whole graph (new outputs included) is converted.
  const rewrites = opts.precision === 'fp16' ? convertToFloat16(model, modelPath) : undefined;
  if (opts.precision === 'int8') quantizeDynamicInt8(model, modelPath);
  const file = editedModelPath(dir, `${sha256}-${n}${suffix}`, model);
  await writeEditedModel(modelPath, model, file, rewrites);
  return { file, exposed: n };
}

export interface BlockMatch {
  /** Tensor names of every block's output, first block first. */
  outputs: string[];
  /** The final LayerNorm: its input tensor, output tensor and nodes in graph order; null when the export has none. */
  norm: { input: string; output: string; nodes: NodeProto[] } | null;
}

/** Finds block outputs and the final norm (see the module comment for the pattern). */
export function findBlockOutputs(model: ModelProto, modelPath: string, tokensOutput?: string): BlockMatch {
  const g = model.graph as GraphProto | null;
  if (!g) throw new MedprobeError(`${modelPath} has no graph`, { file: modelPath, hint: 'it is not an ONNX model file; re-download or re-export it' });
  const graph = new GraphIndex(g.node);
  const outName = tokensOutput ?? g.output.find((o) => o.name === 'last_hidden_state')?.name ?? g.output[0]?.name;
  if (!outName || !g.output.some((o) => o.name === outName)) {
    throw new MedprobeError(`${modelPath} has no output '${tokensOutput}'`, { file: modelPath, hint: `graph outputs: ${g.output.map((o) => o.name).join(', ')}; set vit.tokensOutput in the card` });
  }
  const noMatch = (why: string): MedprobeError =>
    new MedprobeError(`cannot find transformer blocks in ${modelPath}: ${why}`, {
      file: modelPath,
      hint: 'block features need a pre-norm ViT exported by torch.onnx/optimum without fused-op optimization (see docs/models.md); the final-output views (cls, mean-patch) still work',
    });
  const y = graph.skipIdentity(outName);
  const lnNode = graph.producer(y);
  if (!lnNode) throw noMatch(`output ${outName} is not computed by a node`);
  let norm: BlockMatch['norm'] = null;
  let lastBlock: string;
  if (graph.residualInput(y) !== null) {
    // No norm after the last block (CLIP-vision's last_hidden_state): blocks are read raw, as the model's own output is.
    lastBlock = y;
  } else {
    let x: string;
    if (lnNode.opType === 'LayerNormalization') {
      x = lnNode.input![0];
    } else {
      const mean = graph.findUpstream(y, 12, (nd) => nd.opType === 'ReduceMean' && graph.producer(nd.input![0])?.opType !== 'Pow');
      if (!mean) throw noMatch(`output ${outName} is produced neither by a LayerNorm nor by a residual Add`);
      x = mean.input![0];
    }
    const nodes = graph.between(x, y);
    const normOps = new Set(['LayerNormalization', 'ReduceMean', 'Sub', 'Pow', 'Add', 'Sqrt', 'Div', 'Mul', 'Cast', 'Identity']);
    if (nodes.length === 0 || nodes.length > 12 || nodes.some((nd) => !normOps.has(nd.opType ?? ''))) {
      throw noMatch(`the nodes between ${x} and ${outName} are not a LayerNorm (${nodes.map((nd) => nd.opType).join(',')})`);
    }
    norm = { input: x, output: y, nodes };
    lastBlock = x;
  }

  const outputs: string[] = [];
  let cur = graph.skipIdentity(lastBlock);
  for (;;) {
    const mlpRes = graph.residualInput(cur);
    if (mlpRes === null) break;
    const attnRes = graph.residualInput(mlpRes);
    if (attnRes === null) {
      if (outputs.length === 0) throw noMatch(`the Add before the final LayerNorm is not followed back by a second residual Add`);
      break;
    }
    outputs.unshift(cur);
    cur = attnRes;
  }
  if (outputs.length === 0) throw noMatch(`the last block's output ${lastBlock} is not a pre-norm residual Add`);
  return { outputs, norm };
}

/** Appends, for k = 1..n, LN_final(block[-k]) as graph output blockOutputName(-k). */
function addNormedBlockOutputs(model: ModelProto, match: BlockMatch, n: number): void {
  const g = model.graph as GraphProto;
  const depth = match.outputs.length;
  for (let k = 1; k <= n; k++) {
    const src = match.outputs[depth - k];
    const out = blockOutputName(-k);
    g.output.push({ name: out, type: { tensorType: { elemType: FLOAT } } });
    if (!match.norm) {
      g.node.push({ opType: 'Identity', name: `medprobe_block_m${k}`, input: [src], output: [out] });
      continue;
    }
    const norm = match.norm;
    const rename = new Map<string, string>([[norm.input, src]]);
    for (const nd of norm.nodes) {
      const outs = nd.output!.map((o, i) => {
        if (o === norm.output) return out;
        // LayerNormalization's optional Mean/InvStdDev outputs are dropped in the copy.
        if (nd.opType === 'LayerNormalization' && i > 0) return '';
        return `${o}__medprobe_m${k}`;
      });
      nd.output!.forEach((o, i) => outs[i] && rename.set(o, outs[i]));
      g.node.push({
        ...nd,
        name: `${nd.name || nd.opType}__medprobe_m${k}`,
        input: nd.input!.map((i) => rename.get(i) ?? i),
        output: outs.filter((o, i) => i === 0 || o !== ''),
      });
    }
  }
}

class GraphIndex {
  private readonly producers = new Map<string, NodeProto>();
  private readonly consumers = new Map<string, NodeProto[]>();
  private readonly order = new Map<NodeProto, number>();

  constructor(readonly nodes: NodeProto[]) {
    nodes.forEach((nd, i) => {
      this.order.set(nd, i);
      for (const o of nd.output ?? []) if (o) this.producers.set(o, nd);
      for (const inp of nd.input ?? []) {
        if (!inp) continue;
        const list = this.consumers.get(inp) ?? [];
        list.push(nd);
        this.consumers.set(inp, list);
      }
    });
  }

  producer(t: string): NodeProto | undefined {
    return this.producers.get(t);
  }

  skipIdentity(t: string): string {
    let p = this.producer(t);
    while (p && p.opType === 'Identity') {
      t = p.input![0];
      p = this.producer(t);
    }
    return t;
  }

  /** Breadth-first up from tensor t, at most `limit` nodes, for the first node matching. */
  findUpstream(t: string, limit: number, pred: (n: NodeProto) => boolean): NodeProto | undefined {
    const queue = [t];
    const seen = new Set<NodeProto>();
    while (queue.length && seen.size < limit) {
      const p = this.producer(queue.shift()!);
      if (!p || seen.has(p)) continue;
      seen.add(p);
      if (pred(p)) return p;
      queue.push(...(p.input ?? []).filter(Boolean));
    }
    return undefined;
  }

  /** Is tensor a an ancestor of (or equal to) tensor b? */
  isAncestor(a: string, b: string): boolean {
    const stack = [b];
    const seen = new Set<string>();
    while (stack.length) {
      const t = stack.pop()!;
      if (t === a) return true;
      if (seen.has(t)) continue;
      seen.add(t);
      const p = this.producer(t);
      if (p) for (const i of p.input ?? []) if (i && !seen.has(i)) stack.push(i);
    }
    return false;
  }

  /** Nodes on a path from tensor x to tensor y, in graph order. */
  between(x: string, y: string): NodeProto[] {
    const up = new Set<NodeProto>();
    const stack = [y];
    const seen = new Set<string>();
    while (stack.length) {
      const t = stack.pop()!;
      if (seen.has(t) || t === x) continue;
      seen.add(t);
      const p = this.producer(t);
      if (!p || up.has(p)) continue;
      up.add(p);
      for (const i of p.input ?? []) if (i) stack.push(i);
    }
    return [...up].filter((nd) => nd.input!.some((i) => i === x || this.isAncestor(x, i))).sort((a, b) => this.order.get(a)! - this.order.get(b)!);
  }

  /**
   * If tensor t is a pre-norm residual Add(r, branch), returns r: the input that feeds a
   * LayerNorm and is an ancestor of the other input. Otherwise null.
   */
  residualInput(t: string): string | null {
    const add = this.producer(this.skipIdentity(t));
    if (!add || add.opType !== 'Add' || add.input!.length !== 2) return null;
    const [p, q] = add.input!;
    for (const [r, other] of [
      [p, q],
      [q, p],
    ]) {
      const feedsNorm = (this.consumers.get(r) ?? []).some((c) => (c.opType === 'LayerNormalization' || c.opType === 'ReduceMean') && c.input![0] === r);
      if (feedsNorm && this.isAncestor(r, other)) return r;
    }
    return null;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
