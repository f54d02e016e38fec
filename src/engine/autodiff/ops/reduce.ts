import { numel } from '../ir.js';
import { axisOf, type GradCtx, type InferCtx } from '../rule.js';

/** The reduced axes: the `axes` attribute (older opsets) or input 1 (ReduceSum ≥ 13, ReduceMean ≥ 18). */
export function reduceAxes(c: InferCtx | GradCtx, ins: { dims: number[]; value?: ArrayLike<number> }[]): number[] {
  const rank = ins[0].dims.length;
  let axes = c.attr<number[] | undefined>('axes', undefined);
  if (!axes && c.node.input![1]) {
    if (!ins[1].value) c.fail('reduction axes must be a constant');
    axes = Array.from(ins[1].value!);
  }
  if (!axes || axes.length === 0) return c.attr('noop_with_empty_axes', 0) ? [] : Array.from({ length: rank }, (_, i) => i);
  return axes.map((a) => axisOf(a, rank));
}

export function inferReduce(c: InferCtx, mean: boolean) {
  const x = c.ins[0];
  const axes = reduceAxes(c, c.ins);
  const keep = c.attr('keepdims', 1);
  const dims = keep ? x.dims.map((d, i) => (axes.includes(i) ? 1 : d)) : x.dims.filter((_, i) => !axes.includes(i));
  let value: number[] | undefined;
  if (x.value && numel(x.dims) <= 4096 && axes.length === x.dims.length) {
    const s = Array.from(x.value).reduce((a, b) => a + b, 0);
    value = [mean ? s / numel(x.dims) : s];
  }
  return [{ dims, type: x.type, value }];
}

/** dX = dY broadcast back over the reduced axes (÷ their size for a mean). */
export function gradReduce(c: GradCtx, mean: boolean): (string | undefined)[] {
  const { g, ins, dy } = c;
  const x = ins[0].dims;
  const axes = reduceAxes(c, ins);
  const kept = x.map((d, i) => (axes.includes(i) ? 1 : d));
  let d = g.op1('Reshape', [dy[0]!, g.constInt64(kept)]);
  if (mean) d = g.op1('Mul', [d, g.constFloat([1 / axes.reduce((p, i) => p * x[i], 1)], [])]);
  return [g.op1('Expand', [d, g.constInt64(x)])];
}
