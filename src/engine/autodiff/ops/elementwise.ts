import { broadcastDims, broadcastIndex } from '../broadcast.js';
import { numel, type ElemT, type Info } from '../ir.js';
import type { InferCtx } from '../rule.js';

/** Constant values are computed only for small tensors: shape arithmetic, never activations. */
export const SMALL = 4096;

/** Shape (and small constant value) of a broadcasting elementwise op. */
export function inferBroadcast(c: InferCtx, fn?: (...xs: number[]) => number, outType?: ElemT): Info[] {
  let dims: number[] = [];
  try {
    dims = c.ins.reduce<number[]>((acc, x) => broadcastDims(acc, x.dims), []);
  } catch (e) {
    c.fail((e as Error).message);
  }
  const info: Info = { dims, type: outType ?? c.ins[0].type };
  if (fn && c.ins.every((x) => x.value) && numel(dims) <= SMALL) {
    const idx = c.ins.map((x) => broadcastIndex(x.dims, dims));
    const out = new Array<number>(numel(dims));
    for (let i = 0; i < out.length; i++) out[i] = fn(...c.ins.map((x, k) => x.value![idx[k](i)]));
    info.value = info.type === 'float' ? Float32Array.from(out) : out.map((v) => (info.type === 'int64' || info.type === 'int32' ? Math.trunc(v) : v));
  }
  return [info];
}

/** Same shape as the first input; value mapped when known and small. */
export function inferUnary(c: InferCtx, fn?: (x: number) => number): Info[] {
  const x = c.ins[0];
  const info: Info = { dims: [...x.dims], type: x.type };
  if (fn && x.value && numel(x.dims) <= SMALL) info.value = x.type === 'float' ? Float32Array.from(x.value, fn) : Array.from(x.value, fn);
  return [info];
}
