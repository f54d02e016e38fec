import type { GradCtx } from '../rule.js';

/** Ops that only re-view their data (Reshape, Flatten, Squeeze, Unsqueeze): dX = dY viewed as X. */
export function gradView({ g, ins, dy }: GradCtx): (string | undefined)[] {
  return [g.op1('Reshape', [dy[0]!, g.constInt64(ins[0].dims)])];
}
