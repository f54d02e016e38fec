import { GraphBuilder } from './graph.js';
import { bilinearMatrix, transpose2d } from './resize-matrix.js';
import { BN_EPS, DICE_SMOOTH, blockSize, paramInfos, unetWidths, type DecoderSpec, type SegLossSpec } from './decoder-spec.js';

/**
 * ONNX graphs for segmentation decoders on frozen feature grids, run by ONNX Runtime.
 *
 * The training graph computes the loss and every parameter gradient in one session.run:
 * the backward pass is written by hand next to the forward (conv input-grad is a
 * Conv with flipped, transposed weights, conv weight-grad is 9 shifted GEMMs, bilinear resize is a pair of
 * MatMuls whose backward is the transposed pair, BN/ReLU/softmax backward are elementwise
 * ops and reductions). The optimiser update stays in JS: decoder weights are small
 * (≈0.2 M floats) and an Adam pass over them costs well under a millisecond,
 * while the heavy convolutions run multi-threaded in MLAS.
 *
 * Graph inputs: `feat{l}` [N, D_l, h_l, w_l], `target` [N, K, H, W] one-hot, `valid` [N, 1, H, W]
 * (1 where a pixel counts: inside the FOV, not padding), `p_<param>` for every parameter,
 * and for inference `rm_<bn>` / `rv_<bn>` running statistics.
 * Training outputs: `loss`, `g_<param>`, `bm_<bn>` / `bv_<bn>` (batch mean / biased variance).
 * Inference output: `probs` [N, K, H, W].
 */

/**
 * How the 3×3 conv weight gradient is computed. Both are exact; bench:decoder times them in
 * alternation and 'gemm' was 1.6–1.8× faster at the ViT-S/448 shape (and faster on DRIVE's), so it is the default.
 */
export type WeightGradMode = 'gemm' | 'conv';

interface Ctx {
  g: GraphBuilder;
  mode: WeightGradMode;
}

function resize(c: Ctx, x: string, from: [number, number], to: [number, number]): string {
  if (from[0] === to[0] && from[1] === to[1]) return x;
  const ah = c.g.constFloat(bilinearMatrix(to[0], from[0]), [to[0], from[0]]);
  const awT = c.g.constFloat(transpose2d(bilinearMatrix(to[1], from[1]), to[1], from[1]), [from[1], to[1]]);
  return c.g.op('MatMul', [c.g.op('MatMul', [ah, x]), awT]);
}

/** Adjoint of `resize`: dX = Ahᵀ · dY · Aw. */
function resizeBack(c: Ctx, dy: string, from: [number, number], to: [number, number]): string {
  if (from[0] === to[0] && from[1] === to[1]) return dy;
  const ahT = c.g.constFloat(transpose2d(bilinearMatrix(to[0], from[0]), to[0], from[0]), [from[0], to[0]]);
  const aw = c.g.constFloat(bilinearMatrix(to[1], from[1]), [to[1], from[1]]);
  return c.g.op('MatMul', [c.g.op('MatMul', [ahT, dy]), aw]);
}

function conv(c: Ctx, x: string, w: string, k: 1 | 3, b?: string): string {
  const p = (k - 1) / 2;
  return c.g.op('Conv', b ? [x, w, b] : [x, w], { kernel_shape: [k, k], pads: [p, p, p, p] });
}

/**
 * Linear decoder logits: a 1×1 conv per grid, upsampled to the output size and summed. The bias
 * rides on the first grid's conv, before the upsample: bilinear rows sum to 1, so this equals
 * adding it at full resolution, without a broadcast Add over N·K·H·W.
 */
function linearLogits(c: Ctx, spec: DecoderSpec, feats: string[], P: Record<string, string>): string {
  const out: [number, number] = [spec.outHeight, spec.outWidth];
  const parts = spec.inputs.map((s, l) => resize(c, conv(c, feats[l], P[`lin${l}_w`], 1, l === 0 ? P.lin_b : undefined), [s.height, s.width], out));
  return parts.length === 1 ? parts[0] : c.g.op('Sum', parts);
}

/**
 * dX of a stride-1 'same' conv: the same conv of dY with W's in/out channels swapped and its
 * taps flipped. Spelled as a Conv (im2col + one multi-threaded GEMM) rather than ORT's
 * ConvTranspose, whose col2im pass ran 2–3× the Conv's time at the U-Net's 3×3 layers.
 */
function convInputGrad(c: Ctx, dy: string, w: string, k: 1 | 3): string {
  const g = c.g;
  const p = (k - 1) / 2;
  const wT = g.op('Transpose', [w], { perm: [1, 0, 2, 3] });
  const wF = k === 1 ? wT : g.op('Slice', [wT, g.constInt64([-1, -1]), g.constInt64([-k - 1, -k - 1]), g.constInt64([2, 3]), g.constInt64([-1, -1])]);
  return conv(c, dy, wF, k);
}

/**
 * dW[co, ci, kh, kw] = Σ_{n,y,x} dY[n,co,y,x] · Xpad[n,ci,y+kh,x+kw].
 * 'gemm': one [Co × NHW]·[NHW × Ci] GEMM per kernel offset on channel-major views.
 * 'conv': the textbook trick, a Conv of Xᵀ (channels as batch) with dYᵀ as the kernel.
 */
function convWeightGrad(c: Ctx, x: string, dy: string, k: 1 | 3, cout: number, cin: number): string {
  const g = c.g;
  if (k === 3 && c.mode === 'conv') {
    const xt = g.op('Transpose', [x], { perm: [1, 0, 2, 3] });
    const dyt = g.op('Transpose', [dy], { perm: [1, 0, 2, 3] });
    return g.op('Transpose', [g.op('Conv', [xt, dyt], { pads: [1, 1, 1, 1] })], { perm: [1, 0, 2, 3] });
  }
  if (k === 1) {
    // Σ_n X_n·dY_nᵀ as one batched MatMul: only dY (few channels) is transposed, never the wide
    // feature grid X; then a sum over the batch and a [Ci, Co] → [Co, Ci] flip of the tiny result.
    const xn = g.op('Reshape', [x, g.constInt64([0, cin, -1])]);
    const dyn = g.op('Transpose', [g.op('Reshape', [dy, g.constInt64([0, cout, -1])])], { perm: [0, 2, 1] });
    const dwT = g.op('ReduceSum', [g.op('MatMul', [xn, dyn]), g.constInt64([0])], { keepdims: 0 });
    return g.op('Reshape', [g.op('Transpose', [dwT], { perm: [1, 0] }), g.constInt64([cout, cin, 1, 1])]);
  }
  // Shift dY (the narrower side: Co ≤ Ci in every U-Net block) instead of the padded input:
  // Σ_p dY[p]·Xpad[p + k] = Σ_q X[q]·dY[q − k + 1], dY zero outside its grid. Each shifted copy is
  // one Pad with a crop on the far side (negative pad); the centre tap is dY itself.
  const dyT = g.op('Transpose', [dy], { perm: [1, 0, 2, 3] });
  const xT = g.op('Reshape', [g.op('Transpose', [x], { perm: [1, 0, 2, 3] }), g.constInt64([cin, -1])]);
  const taps: string[] = [];
  for (let kh = 0; kh < 3; kh++) {
    for (let kw = 0; kw < 3; kw++) {
      const bh = kh - 1, bw = kw - 1;
      const ds = bh === 0 && bw === 0 ? dyT : g.op('Pad', [dyT, g.constInt64([0, 0, bh, bw, 0, 0, -bh, -bw])]);
      const dw = g.op('Gemm', [g.op('Reshape', [ds, g.constInt64([cout, -1])]), xT], { transB: 1 });
      taps.push(g.op('Unsqueeze', [dw, g.constInt64([2])]));
    }
  }
  return g.op('Reshape', [g.op('Concat', taps, { axis: 2 }), g.constInt64([cout, cin, 3, 3])]);
}

const CH_AXES = [0, 2, 3];

/** Per-channel sum over N, H, W, kept as [1, C, 1, 1]. */
function chanSum(c: Ctx, x: string): string {
  return c.g.op('ReduceSum', [x, c.g.constInt64(CH_AXES)], { keepdims: 1 });
}
function chanMean(c: Ctx, x: string): string {
  return c.g.op('ReduceMean', [x], { axes: CH_AXES, keepdims: 1 });
}
function flat(c: Ctx, x: string): string {
  return c.g.op('Reshape', [x, c.g.constInt64([-1])]);
}

interface BnTrain {
  y: string;
  xhat: string;
  rstd: string;
  mean: string;
  varB: string;
}

function bnTrain(c: Ctx, x: string, gamma: string, beta: string, ch: number): BnTrain {
  const g = c.g;
  const mean = chanMean(c, x);
  const xc = g.op('Sub', [x, mean]);
  const varB = chanMean(c, g.op('Mul', [xc, xc]));
  const rstd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [varB, g.scalar(BN_EPS)])])]);
  const xhat = g.op('Mul', [xc, rstd]);
  const shape = g.constInt64([1, ch, 1, 1]);
  const y = g.op('Add', [g.op('Mul', [xhat, g.op('Reshape', [gamma, shape])]), g.op('Reshape', [beta, shape])]);
  return { y, xhat, rstd, mean, varB };
}

/** dx = γ·rstd·(dy − mean(dy) − x̂·mean(dy·x̂)); dγ = Σ dy·x̂; dβ = Σ dy. */
function bnBack(c: Ctx, dy: string, bn: BnTrain, gamma: string, ch: number): { dx: string; dgamma: string; dbeta: string } {
  const g = c.g;
  const sumDy = chanSum(c, dy);
  const sumDyX = chanSum(c, g.op('Mul', [dy, bn.xhat]));
  const meanDy = chanMean(c, dy);
  const meanDyX = chanMean(c, g.op('Mul', [dy, bn.xhat]));
  const scale = g.op('Mul', [g.op('Reshape', [gamma, g.constInt64([1, ch, 1, 1])]), bn.rstd]);
  const inner = g.op('Sub', [g.op('Sub', [dy, meanDy]), g.op('Mul', [bn.xhat, meanDyX])]);
  return { dx: g.op('Mul', [scale, inner]), dgamma: flat(c, sumDyX), dbeta: flat(c, sumDy) };
}

function reluBack(c: Ctx, dy: string, y: string): string {
  const g = c.g;
  return g.op('Mul', [dy, g.op('Cast', [g.op('Greater', [y, g.scalar(0)])], { to: 1 })]);
}

interface Built {
  bytes: Uint8Array;
  paramNames: string[];
  bnNames: string[];
}

/** Training step graph: loss + gradients (+ BN batch stats). */
export function buildTrainGraph(spec: DecoderSpec, loss: SegLossSpec, mode: WeightGradMode = 'gemm'): Built {
  const g = new GraphBuilder();
  const c: Ctx = { g, mode };
  const { params, bns } = paramInfos(spec);
  const P: Record<string, string> = {};
  for (const p of params) P[p.name] = g.input(`p_${p.name}`, p.shape);
  const feats = spec.inputs.map((s, l) => g.input(`feat${l}`, ['N', s.channels, s.height, s.width]));
  const K = spec.classes;
  const out: [number, number] = [spec.outHeight, spec.outWidth];
  const target = g.input('target', ['N', K, out[0], out[1]]);
  const valid = g.input('valid', ['N', 1, out[0], out[1]]);
  const grads: Record<string, string> = {};

  let logits: string;
  let backward: (dz: string) => void;
  if (spec.kind === 'linear') {
    logits = linearLogits(c, spec, feats, P);
    backward = (dz) => {
      spec.inputs.forEach((s, l) => {
        const dl = resizeBack(c, dz, [s.height, s.width], out);
        // Bilinear rows sum to 1, so Σ dl = Σ dz: the bias gradient is summed on the small grid.
        if (l === 0) grads.lin_b = flat(c, chanSum(c, dl));
        grads[`lin${l}_w`] = convWeightGrad(c, feats[l], dl, 1, K, s.channels);
      });
    };
  } else {
    const w = unetWidths(spec);
    const skipsR: string[] = [];
    const blocks: { u: string; bn: BnTrain; x: string }[] = [];
    let x = '';
    spec.inputs.forEach((s, i) => {
      const size = blockSize(spec, i);
      const proj = conv(c, feats[i], P[`proj${i}_w`], 1, P[`proj${i}_b`]);
      const skip = resize(c, proj, [s.height, s.width], size);
      skipsR.push(skip);
      const u = i === 0 ? skip : g.op('Concat', [resize(c, x, blockSize(spec, i - 1), size), skip], { axis: 1 });
      const a = conv(c, u, P[`conv${i}_w`], 3);
      const bn = bnTrain(c, a, P[`bn${i}_g`], P[`bn${i}_b`], w[i]);
      x = g.op('Relu', [bn.y]);
      blocks.push({ u, bn, x });
    });
    const L = spec.inputs.length;
    const last = blockSize(spec, L - 1);
    logits = resize(c, conv(c, x, P.head_w, 1, P.head_b), last, out);
    backward = (dz) => {
      const dl = resizeBack(c, dz, last, out);
      grads.head_b = flat(c, chanSum(c, dl));
      grads.head_w = convWeightGrad(c, blocks[L - 1].x, dl, 1, K, w[L - 1]);
      let dx = convInputGrad(c, dl, P.head_w, 1);
      for (let i = L - 1; i >= 0; i--) {
        const size = blockSize(spec, i);
        const s = spec.inputs[i];
        const blk = blocks[i];
        const da0 = reluBack(c, dx, blk.x);
        const bb = bnBack(c, da0, blk.bn, P[`bn${i}_g`], w[i]);
        grads[`bn${i}_g`] = bb.dgamma;
        grads[`bn${i}_b`] = bb.dbeta;
        const cin = i === 0 ? w[0] : w[i - 1] + w[i];
        grads[`conv${i}_w`] = convWeightGrad(c, blk.u, bb.dx, 3, w[i], cin);
        const du = convInputGrad(c, bb.dx, P[`conv${i}_w`], 3);
        let dskip = du;
        if (i > 0) {
          const dup = g.op('Slice', [du, g.constInt64([0]), g.constInt64([w[i - 1]]), g.constInt64([1])]);
          dskip = g.op('Slice', [du, g.constInt64([w[i - 1]]), g.constInt64([w[i - 1] + w[i]]), g.constInt64([1])]);
          dx = resizeBack(c, dup, blockSize(spec, i - 1), size);
        }
        const dproj = resizeBack(c, dskip, [s.height, s.width], size);
        grads[`proj${i}_b`] = flat(c, chanSum(c, dproj));
        grads[`proj${i}_w`] = convWeightGrad(c, feats[i], dproj, 1, w[i], s.channels);
      }
    };
    bns.forEach((b, i) => {
      g.output(`bm_${b.name}`, flat(c, blocks[i].bn.mean));
      g.output(`bv_${b.name}`, flat(c, blocks[i].bn.varB));
    });
  }

  const { lossValue, dz } = lossAndGrad(c, logits, target, valid, K, loss);
  backward(dz);
  g.output('loss', lossValue);
  for (const p of params) g.output(`g_${p.name}`, grads[p.name]);
  return { bytes: g.toBytes('medprobe_seg_train'), paramNames: params.map((p) => p.name), bnNames: bns.map((b) => b.name) };
}

/**
 * Softmax over the channel axis of NCHW logits, spelled out. ORT's (Log)Softmax on axis 1
 * transposes to channels-last and back and runs over K-long rows: it was 60 % of the linear
 * decoder step in ORT's profiler. Max, Sub, Exp, ReduceSum and Div over axis 1 stream instead.
 * Returns the shifted logits and their exp-sum too, for log p = zs − log Σ exp(zs).
 */
function channelSoftmax(c: Ctx, z: string): { zs: string; se: string; p: string } {
  const g = c.g;
  const zs = g.op('Sub', [z, g.op('ReduceMax', [z], { axes: [1], keepdims: 1 })]);
  const e = g.op('Exp', [zs]);
  const se = g.op('ReduceSum', [e, g.constInt64([1])], { keepdims: 1 });
  return { zs, se, p: g.op('Div', [e, se]) };
}

/**
 * Soft Dice (sums over the whole batch per class, smoothed by DICE_SMOOTH) and/or CE on the
 * valid pixels, and dLoss/dlogits. Dice gradient per pixel: ∂D_c/∂p = w(2t − D_c)/(P_c + T_c + ε),
 * chained through softmax as dz = p ⊙ (g − Σ_k p_k g_k); CE gives dz = w(p − t)/Σw.
 */
function lossAndGrad(c: Ctx, z: string, t: string, w: string, K: number, loss: SegLossSpec): { lossValue: string; dz: string } {
  const g = c.g;
  const { zs, se, p } = channelSoftmax(c, z);
  const terms: string[] = [];
  const dzs: string[] = [];
  if (loss.dice > 0) {
    const cw = Array.from({ length: K }, (_, k): number => (k === 0 && !loss.includeBackground ? 0 : 1));
    const ncw = cw.reduce((a, b) => a + b, 0);
    const pw = g.op('Mul', [p, w]);
    const tw = g.op('Mul', [t, w]);
    const I = chanSum(c, g.op('Mul', [pw, t]));
    const den = g.op('Add', [g.op('Add', [chanSum(c, pw), chanSum(c, tw)]), g.scalar(DICE_SMOOTH)]);
    const D = g.op('Div', [g.op('Add', [g.op('Mul', [I, g.scalar(2)]), g.scalar(DICE_SMOOTH)]), den]);
    const cwT = g.constFloat(cw.map((v) => v / ncw), [1, K, 1, 1]);
    const dice = g.op('Sub', [g.scalar(1), g.op('ReduceSum', [g.op('Mul', [D, cwT])], { keepdims: 0 })]);
    terms.push(g.op('Mul', [dice, g.scalar(loss.dice)]));
    const coef = g.op('Div', [g.op('Mul', [cwT, g.scalar(-loss.dice)]), den]);
    const gp = g.op('Mul', [g.op('Mul', [coef, w]), g.op('Sub', [g.op('Mul', [t, g.scalar(2)]), D])]);
    const sumPg = g.op('ReduceSum', [g.op('Mul', [p, gp]), g.constInt64([1])], { keepdims: 1 });
    dzs.push(g.op('Mul', [p, g.op('Sub', [gp, sumPg])]));
  }
  if (loss.ce > 0) {
    const nw = g.op('Max', [g.op('ReduceSum', [w], { keepdims: 0 }), g.scalar(1)]);
    const ce = g.op('Div', [g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [g.op('Mul', [t, w]), g.op('Sub', [zs, g.op('Log', [se])])])], { keepdims: 0 })]), nw]);
    terms.push(g.op('Mul', [ce, g.scalar(loss.ce)]));
    dzs.push(g.op('Mul', [g.op('Mul', [g.op('Sub', [p, t]), w]), g.op('Div', [g.scalar(loss.ce), nw])]));
  }
  if (terms.length === 0) throw new Error('segmentation loss needs a positive Dice or CE weight');
  return {
    lossValue: terms.length === 1 ? terms[0] : g.op('Add', terms),
    dz: dzs.length === 1 ? dzs[0] : g.op('Add', dzs),
  };
}

/** Inference graph: class probabilities at the output size, BN on running statistics. */
export function buildInferGraph(spec: DecoderSpec): Built {
  const g = new GraphBuilder();
  const c: Ctx = { g, mode: 'gemm' };
  const { params, bns } = paramInfos(spec);
  const P: Record<string, string> = {};
  for (const p of params) P[p.name] = g.input(`p_${p.name}`, p.shape);
  const feats = spec.inputs.map((s, l) => g.input(`feat${l}`, ['N', s.channels, s.height, s.width]));
  const K = spec.classes;
  const out: [number, number] = [spec.outHeight, spec.outWidth];
  let logits: string;
  if (spec.kind === 'linear') {
    logits = linearLogits(c, spec, feats, P);
  } else {
    const w = unetWidths(spec);
    let x = '';
    spec.inputs.forEach((s, i) => {
      const size = blockSize(spec, i);
      const skip = resize(c, conv(c, feats[i], P[`proj${i}_w`], 1, P[`proj${i}_b`]), [s.height, s.width], size);
      const u = i === 0 ? skip : g.op('Concat', [resize(c, x, blockSize(spec, i - 1), size), skip], { axis: 1 });
      const rm = g.input(`rm_${bns[i].name}`, [w[i]]);
      const rv = g.input(`rv_${bns[i].name}`, [w[i]]);
      const a = conv(c, u, P[`conv${i}_w`], 3);
      x = g.op('Relu', [g.op('BatchNormalization', [a, P[`bn${i}_g`], P[`bn${i}_b`], rm, rv], { epsilon: { float: BN_EPS } })]);
    });
    logits = resize(c, conv(c, x, P.head_w, 1, P.head_b), blockSize(spec, spec.inputs.length - 1), out);
  }
  g.output('probs', channelSoftmax(c, logits).p);
  return { bytes: g.toBytes('medprobe_seg_infer'), paramNames: params.map((p) => p.name), bnNames: bns.map((b) => b.name) };
}
