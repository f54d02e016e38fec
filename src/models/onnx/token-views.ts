import { MedprobeError } from '../../util/errors.js';
import { matrix, type Matrix } from '../../util/matrix.js';
import type { Tensor4 } from '../backbone.js';
import type { ModelCard, TokenView } from '../card.js';

/**
 * Reading features out of a ViT token sequence [N, T, D] laid out as
 * [CLS?, registers × R, patch tokens row-major over the (H/p)×(W/p) grid].
 * These are copies and one mean over the patch axis — O(N·T·D), memory-bound and tiny next
 * to the forward pass that produced the tokens (≥ O(N·T·D²)), so they stay in JS.
 * Measured by `npm run bench:views` (tokens [32,257,768], map [32,1280,7,7], 2 shared cores):
 * JS mean-patch 89 ms vs an ORT Slice+ReduceMean graph 68 ms (1.3×), JS global average 27 ms
 * vs ORT GlobalAveragePool 26 ms (1.0×) — both far below a ViT-B forward on that batch, and
 * doing them in ORT would need an extra session per view.
 */
export interface TokenLayout {
  hasCls: boolean;
  /** Tokens before the first patch token (CLS + registers). */
  prefix: number;
  gridH: number;
  gridW: number;
}

/** Works out and checks the layout of `tokens` tokens for an image of `inputSize` px. */
export function tokenLayout(card: ModelCard, inputSize: number, tokens: number, output: string): TokenLayout {
  const hasCls = card.vit?.hasClsToken ?? true;
  const prefix = (hasCls ? 1 : 0) + (card.vit?.numRegisterTokens ?? 0);
  const patches = tokens - prefix;
  let side: number;
  if (card.vit) side = Math.floor(inputSize / card.vit.patchSize);
  else side = Math.round(Math.sqrt(patches));
  if (side * side !== patches) {
    throw new MedprobeError(
      `model ${card.name}: output ${output} has ${tokens} tokens, which does not match ${hasCls ? 1 : 0} CLS + ${prefix - (hasCls ? 1 : 0)} register tokens + a square patch grid${card.vit ? ` of (${inputSize}/${card.vit.patchSize})²=${side * side}` : ''}`,
      { hint: 'set vit.patchSize, vit.numRegisterTokens and vit.hasClsToken in the card to match the export' },
    );
  }
  return { hasCls, prefix, gridH: side, gridW: side };
}

export function defaultTokenView(layout: Pick<TokenLayout, 'hasCls'>): TokenView {
  return layout.hasCls ? 'cls' : 'mean-patch';
}

/** Width of a view's feature vector for token dimension `d`. */
export function viewWidth(view: TokenView, d: number, layout: TokenLayout, tokens: number): number {
  switch (view) {
    case 'cls':
    case 'mean-patch':
      return d;
    case 'cls+mean-patch':
      return 2 * d;
    case 'patch-grid':
      return d * layout.gridH * layout.gridW;
    case 'tokens':
      return d * tokens;
  }
}

/**
 * One view of tokens [n, T, d] as an [n × width] matrix. `patch-grid` is flattened channel-major
 * (D, H/p, W/p) so it equals `patchGrid(...)` row by row.
 */
export function tokenView(tokens: Float32Array, n: number, t: number, d: number, layout: TokenLayout, view: TokenView, modelName: string): Matrix {
  if ((view === 'cls' || view === 'cls+mean-patch') && !layout.hasCls) {
    throw new MedprobeError(`model ${modelName} has no CLS token (vit.hasClsToken: false), so view '${view}' is undefined`, {
      hint: "use view 'mean-patch' (the default for SAM-style encoders) or 'patch-grid'",
    });
  }
  if (view === 'patch-grid') {
    const g = patchGrid(tokens, n, t, d, layout);
    return matrix(n, g.data.length / n, g.data);
  }
  if (view === 'tokens') return matrix(n, t * d, tokens.slice(0, n * t * d));
  const width = viewWidth(view, d, layout, t);
  const out = new Float32Array(n * width);
  const patches = t - layout.prefix;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const base = i * t * d;
    let off = i * width;
    if (view === 'cls' || view === 'cls+mean-patch') {
      out.set(tokens.subarray(base, base + d), off);
      off += d;
    }
    if (view === 'mean-patch' || view === 'cls+mean-patch') {
      mean.fill(0);
      for (let k = layout.prefix; k < t; k++) {
        const r = base + k * d;
        for (let j = 0; j < d; j++) mean[j] += tokens[r + j];
      }
      for (let j = 0; j < d; j++) out[off + j] = mean[j] / patches;
    }
  }
  return matrix(n, width, out);
}

/** Patch tokens [n, T, d] → [n, d, H/p, W/p] (CLS and registers dropped). */
export function patchGrid(tokens: Float32Array, n: number, t: number, d: number, layout: TokenLayout): Tensor4 {
  const { gridH: h, gridW: w, prefix } = layout;
  const hw = h * w;
  const out = new Float32Array(n * d * hw);
  for (let i = 0; i < n; i++) {
    const src = i * t * d + prefix * d;
    const dst = i * d * hw;
    for (let p = 0; p < hw; p++) {
      const r = src + p * d;
      for (let j = 0; j < d; j++) out[dst + j * hw + p] = tokens[r + j];
    }
  }
  return { data: out, dims: [n, d, h, w] };
}

/** A CNN map [n, C, H, W] (or NHWC) globally averaged to [n × C]. */
export function globalAverage(map: Float32Array, dims: readonly number[], layout: 'NCHW' | 'NHWC'): Matrix {
  const [n, a, b, c] = dims;
  const channels = layout === 'NCHW' ? a : c;
  const hw = layout === 'NCHW' ? b * c : a * b;
  const out = new Float32Array(n * channels);
  const acc = new Float64Array(channels);
  for (let i = 0; i < n; i++) {
    const base = i * channels * hw;
    acc.fill(0);
    if (layout === 'NCHW') {
      for (let ch = 0; ch < channels; ch++) {
        let s = 0;
        const r = base + ch * hw;
        for (let p = 0; p < hw; p++) s += map[r + p];
        acc[ch] = s;
      }
    } else {
      for (let p = 0; p < hw; p++) {
        const r = base + p * channels;
        for (let ch = 0; ch < channels; ch++) acc[ch] += map[r + ch];
      }
    }
    for (let ch = 0; ch < channels; ch++) out[i * channels + ch] = acc[ch] / hw;
  }
  return matrix(n, channels, out);
}

/** NHWC map → NCHW tensor. */
export function nhwcToNchw(map: Float32Array, dims: readonly number[]): Tensor4 {
  const [n, h, w, c] = dims;
  const out = new Float32Array(map.length);
  const hw = h * w;
  for (let i = 0; i < n; i++)
    for (let p = 0; p < hw; p++)
      for (let ch = 0; ch < c; ch++) out[(i * c + ch) * hw + p] = map[(i * hw + p) * c + ch];
  return { data: out, dims: [n, c, h, w] };
}
