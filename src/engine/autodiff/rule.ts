import { MedprobeError } from '../../util/errors.js';
import type { GraphBuilder } from '../graph.js';
import type { NodeProto } from '../../models/onnx/proto.js';
import { attrOf, nodeLabel, type Info } from './ir.js';

/**
 * One operator's rule: how its output shapes (and small constant values) follow from its
 * inputs, and — for differentiable ops — the vector-Jacobian product that maps output
 * gradients to input gradients as new graph nodes. One rule per file under ops/.
 */
export interface OpRule {
  infer(c: InferCtx): Info[];
  /** Input gradients (undefined: none). Absent: the op has no gradient rule. */
  grad?(c: GradCtx): (string | undefined)[];
}

export interface InferCtx {
  node: NodeProto;
  ins: Info[];
  opset: number;
  attr<T>(name: string, fallback: T): T;
  fail(why: string): never;
}

export interface GradCtx {
  g: GraphBuilder;
  node: NodeProto;
  ins: Info[];
  outs: Info[];
  /** Gradient of each output; undefined where nothing downstream depends on it. */
  dy: (string | undefined)[];
  /** Whether each input needs a gradient. */
  needs: boolean[];
  opset: number;
  attr<T>(name: string, fallback: T): T;
  /** A fresh name for an extra forward output the rule needs (e.g. Dropout's mask). */
  extraOutput(index: number): string;
  fail(why: string): never;
}

/** What to do when the user's graph holds something the autodiff cannot train through. */
export const REEXPORT_FOR_AUTODIFF = 're-export the model with standard ONNX operators (torch.onnx.export, opset ≥ 13), or evaluate it with the frozen-feature protocols (knn, linear, fewshot)';

export function failAt(node: NodeProto, why: string): never {
  throw new MedprobeError(`${nodeLabel(node)}: ${why}`, { hint: REEXPORT_FOR_AUTODIFF });
}

export function makeAttr(node: NodeProto) {
  return <T>(name: string, fallback: T): T => attrOf<T>(node, name, fallback);
}

/** Normalises a possibly negative axis. */
export function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
