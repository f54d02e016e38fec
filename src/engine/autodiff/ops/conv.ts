import { sumToShape } from '../broadcast.js';
import type { GradCtx, OpRule } from '../rule.js';

interface ConvGeom {
  k: number[];
  strides: number[];
  pads: number[];
  dil: number[];
  group: number;
}

function geom(c: { ins: { dims: number[] }[]; attr<T>(n: string, f: T): T; fail(w: string): never }): ConvGeom {
  const w = c.ins[1].dims;
  const sp = w.length - 2;
  const autoPad = c.attr('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') c.fail(`auto_pad ${autoPad} is not supported; export with explicit pads`);
  return {
    k: c.attr('kernel_shape', w.slice(2)),
    strides: c.attr('strides', new Array(sp).fill(1)),
    pads: c.attr('pads', new Array(2 * sp).fill(0)),
    dil: c.attr('dilations', new Array(sp).fill(1)),
    group: c.attr('group', 1),
  };
}

function outSize(inp: number, k: number, s: number, pb: number, pe: number, d: number): number {
  return Math.floor((inp + pb + pe - d * (k - 1) - 1) / s) + 1;
}

/**
 * dW for a non-overlapping patch embedding (stride = kernel, no padding or dilation), the ViT
 * stem: one GEMM of dY against the image cut into patches.
 */
function patchWeightGrad(c: GradCtx, x: string, d: string, gm: ConvGeom): string {
  const { g, ins } = c;
  const [n, ci, h, w] = ins[0].dims;
  const [co] = ins[1].dims;
  const [p, q] = gm.k;
  const gh = h / p;
  const gw = w / q;
  const cols = g.op1('Reshape', [g.op1('Transpose', [g.op1('Reshape', [x, g.constInt64([n, ci, gh, p, gw, q])])], { perm: [1, 3, 5, 0, 2, 4] }), g.constInt64([ci * p * q, n * gh * gw])]);
  const dyT = g.op1('Reshape', [g.op1('Transpose', [d], { perm: [1, 0, 2, 3] }), g.constInt64([co, n * gh * gw])]);
  return g.op1('Reshape', [g.op1('Gemm', [dyT, cols], { transB: 1 }), g.constInt64([co, ci, p, q])]);
}

/**
 * dW in general: a correlation of X with dY, written as a Conv with batch and channel axes
 * swapped (X as [C_in, N, H, W], dY as the kernel [C_out, N, h, w]; stride ↔ dilation), cropped
 * to the kernel size. Depthwise convs use the same trick with one group per channel.
 */
function generalWeightGrad(c: GradCtx, x: string, d: string, gm: ConvGeom): string {
  const { g, ins, fail } = c;
  const [n, ci, h, w] = ins[0].dims;
  const [co, , kh, kw] = ins[1].dims;
  const pads = gm.pads;
  const xt = g.op1('Transpose', [x], { perm: [1, 0, 2, 3] });
  const dt = g.op1('Transpose', [d], { perm: [1, 0, 2, 3] });
  let full: string;
  if (gm.group === 1) {
    full = g.op1('Conv', [xt, dt], { pads, strides: gm.dil, dilations: gm.strides });
  } else if (gm.group === ci && ci === co) {
    const xg = g.op1('Reshape', [xt, g.constInt64([1, ci * n, h, w])]);
    full = g.op1('Transpose', [g.op1('Conv', [xg, dt], { pads, strides: gm.dil, dilations: gm.strides, group: ci })], { perm: [1, 0, 2, 3] });
  } else {
    return fail(`no weight-gradient rule for a grouped Conv (group ${gm.group}, ${ci}→${co} channels)`);
  }
  const cropped = g.op1('Slice', [full, g.constInt64([0, 0]), g.constInt64([kh, kw]), g.constInt64([2, 3])]);
  return gm.group === 1 ? g.op1('Transpose', [cropped], { perm: [1, 0, 2, 3] }) : cropped;
}

/**
 * dX of a stride-1 conv as a Conv of dY: W with each group's in/out channels swapped and its taps
 * flipped, same dilation and group, pads d·(k−1) − p. Exact (the same sums in another order);
 * chosen over ORT's ConvTranspose, whose col2im pass ran 2–3× the matching Conv (U-Net, 54d3594).
 * Undefined where a pad exceeds the kernel's reach d·(k−1) (the new pads would be negative).
 */
function stride1InputGrad(c: GradCtx, d: string, w: string, gm: ConvGeom): string | undefined {
  const { g, ins } = c;
  const [co, cig, kh, kw] = ins[1].dims;
  const reach = gm.k.map((k, i) => gm.dil[i] * (k - 1));
  const pads = gm.pads.map((p, i) => reach[i % 2] - p);
  if (pads.some((p) => p < 0)) return undefined;
  const grp = gm.group;
  // [Co, Ci/G, k, k] → [Ci, Co/G, k, k], swapping within each group (with one output per group,
  // as in a depthwise conv, the swap is only a reshape).
  const swapped =
    grp === 1
      ? g.op1('Transpose', [w], { perm: [1, 0, 2, 3] })
      : co === grp
        ? g.op1('Reshape', [w, g.constInt64([cig * grp, 1, kh, kw])])
        : g.op1('Reshape', [g.op1('Transpose', [g.op1('Reshape', [w, g.constInt64([grp, co / grp, cig, kh, kw])])], { perm: [0, 2, 1, 3, 4] }), g.constInt64([cig * grp, co / grp, kh, kw])]);
  // Reversed Slice: from the last tap to one before the first (end −k−1 clamps to "before 0").
  const flipped = kh === 1 && kw === 1 ? swapped : g.op1('Slice', [swapped, g.constInt64([-1, -1]), g.constInt64([-kh - 1, -kw - 1]), g.constInt64([2, 3]), g.constInt64([-1, -1])]);
  return g.op1('Conv', [d, flipped], { pads, dilations: gm.dil, group: grp, kernel_shape: gm.k });
}

/** 2-D Conv: dX by a flipped-weight Conv (stride 1) or ConvTranspose, dW by patch GEMM or the swapped-axes Conv, dB = Σ dY. */
export const Conv: OpRule = {
  infer: (c) => {
    const [x, w] = c.ins;
    if (x.dims.length !== 4) c.fail('only 2-D convolutions have a rule');
    const gm = geom(c);
    const dims = [x.dims[0], w.dims[0]];
    for (let i = 0; i < 2; i++) dims.push(outSize(x.dims[2 + i], gm.k[i], gm.strides[i], gm.pads[i], gm.pads[2 + i], gm.dil[i]));
    return [{ dims, type: x.type }];
  },
  grad: (c) => {
    const { g, node, ins, outs, dy, needs } = c;
    const [x, w] = node.input!;
    const gm = geom(c);
    const d = dy[0]!;
    let dx: string | undefined;
    if (needs[0] && gm.strides.every((s) => s === 1)) dx = stride1InputGrad(c, d, w, gm);
    if (needs[0] && !dx) {
      // output_padding recovers the input rows a strided conv never reached.
      const outPad = [0, 1].map((i) => ins[0].dims[2 + i] + gm.pads[i] + gm.pads[2 + i] - ((outs[0].dims[2 + i] - 1) * gm.strides[i] + gm.dil[i] * (gm.k[i] - 1) + 1));
      dx = g.op1('ConvTranspose', [d, w], { strides: gm.strides, pads: gm.pads, dilations: gm.dil, group: gm.group, kernel_shape: gm.k, output_padding: outPad });
    }
    let dw: string | undefined;
    if (needs[1]) {
      const [, , h, wd] = ins[0].dims;
      const patch = gm.group === 1 && gm.k.every((k, i) => k === gm.strides[i]) && gm.pads.every((p) => p === 0) && gm.dil.every((v) => v === 1) && h % gm.k[0] === 0 && wd % gm.k[1] === 0;
      dw = patch ? patchWeightGrad(c, x, d, gm) : generalWeightGrad(c, x, d, gm);
    }
    const db = needs[2] ? sumToShape(c.g, d, outs[0].dims, [1, ins[2].dims[0], 1, 1]) : undefined;
    return [dx, dw, db ? g.op1('Reshape', [db, g.constInt64(ins[2].dims)]) : undefined];
  },
};
