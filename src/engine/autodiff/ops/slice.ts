import { axisOf, type InferCtx, type OpRule } from '../rule.js';

interface Span {
  axis: number;
  start: number;
  end: number;
  step: number;
}

/** Per-axis [start, end) after ONNX's clamping rules; constants only. */
function spans(c: InferCtx | { ins: InferCtx['ins']; fail: InferCtx['fail'] }): Span[] {
  const [x, st, en, ax, sp] = c.ins;
  if (!st?.value || !en?.value || (ax && !ax.value) || (sp && !sp.value)) c.fail('starts/ends/axes/steps must be constants');
  const rank = x.dims.length;
  const starts = Array.from(st.value!);
  const axes = ax ? Array.from(ax.value!, (a) => axisOf(a, rank)) : starts.map((_, i) => i);
  return axes.map((axis, i) => {
    const dim = x.dims[axis];
    const step = sp ? sp.value![i] : 1;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
    const start = step > 0 ? clamp(starts[i], 0, dim) : clamp(starts[i], 0, dim - 1);
    const end = step > 0 ? clamp(en!.value![i], 0, dim) : clamp(en!.value![i], -1, dim - 1);
    return { axis, start, end, step };
  });
}

/** dX = dY zero-padded back to X's extent (unit steps). */
export const Slice: OpRule = {
  infer: (c) => {
    const x = c.ins[0];
    const dims = [...x.dims];
    const sp = spans(c);
    for (const s of sp) dims[s.axis] = Math.max(0, Math.ceil((s.end - s.start) / s.step));
    let value: number[] | undefined;
    if (x.value && x.dims.length === 1) {
      value = [];
      for (let i = sp[0].start; sp[0].step > 0 ? i < sp[0].end : i > sp[0].end; i += sp[0].step) value.push(x.value[i]);
    }
    return [{ dims, type: x.type, value: value && x.type === 'float' ? Float32Array.from(value) : value }];
  },
  grad: (c) => {
    const { g, ins, dy } = c;
    const sp = spans(c as never);
    if (sp.some((s) => s.step !== 1)) c.fail('no gradient rule for a Slice with steps other than 1');
    const rank = ins[0].dims.length;
    const pads = new Array<number>(2 * rank).fill(0);
    for (const s of sp) {
      pads[s.axis] = s.start;
      pads[rank + s.axis] = ins[0].dims[s.axis] - s.end;
    }
    return [pads.every((p) => p === 0) ? dy[0] : g.op1('Pad', [dy[0]!, g.constInt64(pads)])];
  },
};
