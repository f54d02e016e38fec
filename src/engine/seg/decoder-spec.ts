import { MedprobeError } from '../../util/errors.js';

/** One feature grid as the decoder sees it: [N, channels, height, width]. */
export interface GridShape {
  channels: number;
  height: number;
  width: number;
}

/**
 * Which decoder, on which grids, producing what.
 * `inputs` are ordered deepest first (the last transformer block, or the stride-32 stage):
 * the U-Net starts from inputs[0] and takes one skip from each following grid.
 */
export interface DecoderSpec {
  kind: 'linear' | 'unet';
  inputs: GridShape[];
  classes: number;
  outHeight: number;
  outWidth: number;
  /** U-Net block widths, one per input grid; default [128, 64, 32, 16]. */
  widths?: number[];
}

export interface SegLossSpec {
  /** Weight of soft Dice (batch-level sums over N, H, W per class). */
  dice: number;
  /** Weight of pixel cross-entropy (mean over valid pixels). */
  ce: number;
  /** Whether class 0 (background) enters the Dice mean; it always enters CE. */
  includeBackground: boolean;
}

export const DEFAULT_UNET_WIDTHS = [128, 64, 32, 16];
export const DICE_SMOOTH = 1e-5;
export const BN_EPS = 1e-5;

/** A trainable tensor and how to initialise it. */
export interface ParamInfo {
  name: string;
  shape: number[];
  init: 'kaiming' | 'zeros' | 'ones';
  /** Fan-in for Kaiming-normal init (std = sqrt(2 / fanIn)). */
  fanIn: number;
}

/** A batch-norm layer's running statistics, updated outside the graph. */
export interface BnInfo {
  name: string;
  channels: number;
}

export function unetWidths(spec: DecoderSpec): number[] {
  const w = spec.widths ?? DEFAULT_UNET_WIDTHS.slice(0, spec.inputs.length);
  if (w.length !== spec.inputs.length) {
    throw new MedprobeError(`U-Net decoder has ${spec.inputs.length} input grids but ${w.length} block widths`, {
      hint: 'give one width per feature grid (e.g. 4 grids → widths [128, 64, 32, 16])',
    });
  }
  return w;
}

/** Resolution of U-Net block i: the deepest grid doubled i times. */
export function blockSize(spec: DecoderSpec, i: number): [number, number] {
  return [spec.inputs[0].height << i, spec.inputs[0].width << i];
}

export function validateSpec(spec: DecoderSpec): void {
  if (spec.inputs.length === 0) throw new MedprobeError('decoder needs at least one feature grid', { hint: 'pass the backbone feature grids [N, D, h, w]' });
  if (spec.classes < 2) throw new MedprobeError(`decoder needs at least 2 classes (background + foreground), got ${spec.classes}`, { hint: 'check the dataset card class list' });
  for (const g of spec.inputs) {
    if (!(g.channels > 0 && g.height > 0 && g.width > 0)) throw new MedprobeError(`bad feature grid shape ${JSON.stringify(g)}`, { hint: 'grids are [N, D, h, w] with positive sizes' });
  }
  if (spec.kind === 'unet') unetWidths(spec);
}

export function paramInfos(spec: DecoderSpec): { params: ParamInfo[]; bns: BnInfo[] } {
  validateSpec(spec);
  const params: ParamInfo[] = [];
  const bns: BnInfo[] = [];
  const K = spec.classes;
  if (spec.kind === 'linear') {
    spec.inputs.forEach((g, l) => params.push({ name: `lin${l}_w`, shape: [K, g.channels, 1, 1], init: 'kaiming', fanIn: totalChannels(spec) }));
    params.push({ name: 'lin_b', shape: [K], init: 'zeros', fanIn: 1 });
    return { params, bns };
  }
  const w = unetWidths(spec);
  spec.inputs.forEach((g, i) => {
    params.push({ name: `proj${i}_w`, shape: [w[i], g.channels, 1, 1], init: 'kaiming', fanIn: g.channels });
    params.push({ name: `proj${i}_b`, shape: [w[i]], init: 'zeros', fanIn: 1 });
    const cin = i === 0 ? w[0] : w[i - 1] + w[i];
    params.push({ name: `conv${i}_w`, shape: [w[i], cin, 3, 3], init: 'kaiming', fanIn: cin * 9 });
    params.push({ name: `bn${i}_g`, shape: [w[i]], init: 'ones', fanIn: 1 });
    params.push({ name: `bn${i}_b`, shape: [w[i]], init: 'zeros', fanIn: 1 });
    bns.push({ name: `bn${i}`, channels: w[i] });
  });
  const last = w[w.length - 1];
  params.push({ name: 'head_w', shape: [K, last, 1, 1], init: 'kaiming', fanIn: last });
  params.push({ name: 'head_b', shape: [K], init: 'zeros', fanIn: 1 });
  return { params, bns };
}

function totalChannels(spec: DecoderSpec): number {
  return spec.inputs.reduce((s, g) => s + g.channels, 0);
}

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
