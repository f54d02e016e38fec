import { MedprobeError } from '../../util/errors.js';
import type { GraphBuilder } from '../graph.js';
import { type Graph, type Info } from './ir.js';
import { failAt, makeAttr } from './rule.js';
import { zeros } from './broadcast.js';
import { RULES } from './ops/index.js';

/**
 * Reverse-mode differentiation as a graph transform. Walks the (folded) forward graph
 * backwards from a scalar `loss`, asks each node's rule for the vector-Jacobian product of
 * the inputs that lead to a trainable tensor, and sums contributions where a tensor feeds
 * several nodes. Emits the new nodes into `g` (which already holds the forward nodes) and
 * returns the gradient tensor of every name in `wrt`.
 */
export function appendBackward(g: GraphBuilder, graph: Graph, infos: Map<string, Info>, loss: string, wrt: readonly string[]): Map<string, string> {
  // Invariants: the loss is medprobe's own head (engine/finetune/head.ts), a scalar that reads the trainable head weights.
  const lossInfo = infos.get(loss);
  if (!lossInfo || lossInfo.dims.some((d) => d !== 1)) throw new MedprobeError(`the loss '${loss}' must be a scalar`);

  // Tensors that depend on a trainable tensor.
  const depends = new Set(wrt);
  for (const n of graph.nodes) if (n.input!.some((x) => depends.has(x))) for (const o of n.output!) if (o) depends.add(o);
  if (!depends.has(loss)) throw new MedprobeError('the loss does not depend on any trainable tensor');

  const contrib = new Map<string, string[]>([[loss, [g.constFloat([1], lossInfo.dims)]]]);
  const gradOf = (t: string): string | undefined => {
    const parts = contrib.get(t);
    if (!parts?.length) return undefined;
    if (parts.length > 1) contrib.set(t, [g.op1('Sum', parts)]);
    return contrib.get(t)![0];
  };

  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    const dy = node.output!.map((o) => (o ? gradOf(o) : undefined));
    const needs = node.input!.map((x) => !!x && depends.has(x));
    if (dy.every((d) => d === undefined) || !needs.some(Boolean)) continue;
    const rule = RULES[node.opType!];
    if (!rule?.grad) failAt(node, `operator ${node.opType} has no gradient rule, and a trainable tensor's gradient flows through it`);
    const attr = makeAttr(node);
    const grads = rule.grad({
      g,
      node,
      ins: node.input!.map((x) => infos.get(x)!),
      outs: node.output!.map((o) => infos.get(o)!),
      dy,
      needs,
      opset: graph.opset,
      attr,
      extraOutput: (k) => {
        const out = node.output!;
        while (out.length <= k) out.push('');
        if (!out[k]) out[k] = `${out[0]}/saved${k}`;
        return out[k];
      },
      fail: (why) => failAt(node, why),
    });
    node.input!.forEach((x, k) => {
      if (!needs[k] || !grads[k]) return;
      const list = contrib.get(x) ?? [];
      list.push(grads[k]!);
      contrib.set(x, list);
    });
  }
  const out = new Map<string, string>();
  for (const w of wrt) out.set(w, gradOf(w) ?? zeros(g, infos.get(w)!.dims));
  return out;
}

