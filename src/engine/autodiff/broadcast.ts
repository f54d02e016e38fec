import type { GraphBuilder } from '../graph.js';
import { numel } from './ir.js';

/** Numpy-style broadcast of two shapes; throws on a mismatch. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new RangeError(`cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Flat index into a (broadcast) operand for each flat index of the output. */
export function broadcastIndex(from: readonly number[], to: readonly number[]): (i: number) => number {
  const r = to.length;
  const pad = [...Array(r - from.length).fill(1), ...from];
  const strides = new Array<number>(r);
  let s = 1;
  for (let k = r - 1; k >= 0; k--) {
    strides[k] = pad[k] === 1 ? 0 : s;
    s *= pad[k];
  }
  return (i) => {
    let off = 0;
    for (let k = r - 1; k >= 0; k--) {
      const d = to[k];
      off += (i % d) * strides[k];
      i = Math.floor(i / d);
    }
    return off;
  };
}

/**
 * The adjoint of broadcasting `to` up to `from`: sums the gradient over the axes that were
 * broadcast and reshapes it to `to`.
 */
export function sumToShape(g: GraphBuilder, dy: string, from: readonly number[], to: readonly number[]): string {
  if (from.length === to.length && from.every((d, i) => d === to[i])) return dy;
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) if (i < lead || (to[i - lead] === 1 && from[i] !== 1)) axes.push(i);
  const summed = axes.length ? g.op1('ReduceSum', [dy, g.constInt64(axes)], { keepdims: 1 }) : dy;
  return g.op1('Reshape', [summed, g.constInt64([...to])]);
}

/** A float tensor of zeros with fixed dims (a scalar expanded, so nothing big is stored). */
export function zeros(g: GraphBuilder, dims: readonly number[]): string {
  return g.op1('Expand', [g.constFloat([0], []), g.constInt64([...dims])]);
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export { numel };
