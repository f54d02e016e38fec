import { MedprobeError } from '../util/errors.js';
import { aurocOfSplit, meanDefined, type MaybeMetric } from './auroc.js';

/**
 * Overlap metrics for label maps: Dice and IoU per class and their mean over classes.
 *
 * A label map is one class index per pixel (2D image) or voxel (3D volume: the caller stacks
 * the slices and the counts run over the whole volume, so a volume's Dice is not the mean of
 * its slices' Dice). Only pixels where the optional field-of-view mask is nonzero count
 * (DRIVE scores inside the retina's FOV).
 *
 * Per class k, with G = gt pixels of k, P = predicted pixels of k, I = both:
 *   Dice = 2I / (G + P), IoU = I / (G + P − I).
 * Policies, written back into every result so a table says how it was scored:
 * - includeBackground (default false, as MONAI's DiceMetric and LVM-Med report): class 0 is
 *   left out — its entries are null and it is not in the mean.
 * - emptyEmpty (default 1): the value of a class absent from both gt and prediction;
 *   0 counts it as a miss, 'skip' leaves it out (null, not in the mean).
 * - gt empty but prediction not (or the reverse) is always 0: the formula gives 0 there.
 */
export interface SegmentationPolicy {
  includeBackground: boolean;
  emptyEmpty: 1 | 0 | 'skip';
}

export const DEFAULT_SEGMENTATION_POLICY: SegmentationPolicy = { includeBackground: false, emptyEmpty: 1 };

export interface SegmentationScores {
  /** Per class, indexed by class; null where the policy leaves the class out. */
  dice: MaybeMetric[];
  iou: MaybeMetric[];
  /** Mean over the non-null classes; null when no class is scored. */
  meanDice: MaybeMetric;
  meanIoU: MaybeMetric;
  /** Fraction of counted pixels whose predicted class equals the gt class (all classes, background included). */
  accuracy: MaybeMetric;
  /** Pixels counted (inside the FOV). */
  pixels: number;
  policy: SegmentationPolicy;
}

/** Sufficient statistics of one case: per-class gt, predicted and overlapping pixel counts. */
export interface OverlapCounts {
  numClasses: number;
  gt: Float64Array;
  pred: Float64Array;
  inter: Float64Array;
  pixels: number;
}

export function emptyOverlapCounts(numClasses: number): OverlapCounts {
  return { numClasses, gt: new Float64Array(numClasses), pred: new Float64Array(numClasses), inter: new Float64Array(numClasses), pixels: 0 };
}

function checkLabel(v: number, i: number, numClasses: number, what: string): void {
  if (!(v >= 0 && v < numClasses && Number.isInteger(v))) {
    throw new MedprobeError(`${what} pixel ${i} has class ${v}, outside 0..${numClasses - 1}`, {
      hint: 'pass class-index label maps (argmax of the decoder output), and set numClasses to include background',
    });
  }
}

/** Add one label map (or a slice of a volume) to `into`. */
export function addOverlapCounts(into: OverlapCounts, pred: ArrayLike<number>, gt: ArrayLike<number>, fov?: ArrayLike<number>): void {
  const C = into.numClasses;
  if (pred.length !== gt.length || (fov && fov.length !== gt.length)) {
    throw new MedprobeError(`segmentation sizes differ: prediction ${pred.length}, ground truth ${gt.length}${fov ? `, FOV mask ${fov.length}` : ''} pixels`, {
      hint: 'resample the prediction to the label map’s grid before scoring',
    });
  }
  let pixels = 0;
  for (let i = 0; i < gt.length; i++) {
    if (fov && fov[i] === 0) continue;
    const g = gt[i];
    const p = pred[i];
    checkLabel(g, i, C, 'ground-truth');
    checkLabel(p, i, C, 'predicted');
    into.gt[g]++;
    into.pred[p]++;
    if (g === p) into.inter[g]++;
    pixels++;
  }
  into.pixels += pixels;
}

function resolvePolicy(policy: Partial<SegmentationPolicy> = {}): SegmentationPolicy {
  const p = { ...DEFAULT_SEGMENTATION_POLICY, ...policy };
  if (p.emptyEmpty !== 0 && p.emptyEmpty !== 1 && p.emptyEmpty !== 'skip') {
    throw new MedprobeError(`emptyEmpty must be 1, 0 or 'skip', got ${String(p.emptyEmpty)}`, { hint: 'see docs on segmentation policies' });
  }
  return p;
}

/** Dice, IoU and pixel accuracy from counts under a policy. */
export function scoresFromCounts(c: OverlapCounts, policy: Partial<SegmentationPolicy> = {}): SegmentationScores {
  const pol = resolvePolicy(policy);
  const dice: MaybeMetric[] = [];
  const iou: MaybeMetric[] = [];
  let correct = 0;
  for (let k = 0; k < c.numClasses; k++) {
    correct += c.inter[k];
    const union = c.gt[k] + c.pred[k] - c.inter[k];
    if (k === 0 && !pol.includeBackground) {
      dice.push(null);
      iou.push(null);
    } else if (union === 0) {
      const v = pol.emptyEmpty === 'skip' ? null : pol.emptyEmpty;
      dice.push(v);
      iou.push(v);
    } else {
      dice.push((2 * c.inter[k]) / (c.gt[k] + c.pred[k]));
      iou.push(c.inter[k] / union);
    }
  }
  return {
    dice,
    iou,
    meanDice: meanDefined(dice),
    meanIoU: meanDefined(iou),
    accuracy: c.pixels === 0 ? null : correct / c.pixels,
    pixels: c.pixels,
    policy: pol,
  };
}

/**
 * Dice/IoU of one case: a 2D label map or a whole 3D volume, row-major, same length as `gt`.
 * `numClasses` includes background (class 0).
 */
export function evaluateSegmentation(
  pred: ArrayLike<number>,
  gt: ArrayLike<number>,
  numClasses: number,
  policy: Partial<SegmentationPolicy> = {},
  fov?: ArrayLike<number>,
): SegmentationScores {
  const c = emptyOverlapCounts(numClasses);
  addOverlapCounts(c, pred, gt, fov);
  return scoresFromCounts(c, policy);
}

export interface CaseScores extends SegmentationScores {
  id: string;
}

export interface SegmentationDatasetScores {
  /** The reported numbers: per-case scores averaged over cases (cases whose mean is null are skipped). */
  meanDice: MaybeMetric;
  meanIoU: MaybeMetric;
  /** Per class, the mean over cases of that class's per-case Dice / IoU (nulls skipped). */
  perClassDice: MaybeMetric[];
  perClassIoU: MaybeMetric[];
  /** Every case, in the order first added. */
  cases: CaseScores[];
  /**
   * Counts summed over all pixels of all cases, scored once: the "global" Dice/F1 that DRIVE
   * papers report (every FOV pixel of the test set pooled). Not the reported meanDice.
   */
  pooled: SegmentationScores;
  policy: SegmentationPolicy;
}

export interface SegmentationAccumulator {
  /**
   * Add pixels to a case. Without `caseId` each call is a new case (one 2D image). Calls with
   * the same `caseId` add into that case, so a volume can be streamed slice by slice and is
   * still scored as one volume.
   */
  add(pred: ArrayLike<number>, gt: ArrayLike<number>, fov?: ArrayLike<number>, caseId?: string): void;
  result(): SegmentationDatasetScores;
}

/** Streams cases through in O(numClasses) memory per case; no label map is kept. */
export function createSegmentationAccumulator(numClasses: number, policy: Partial<SegmentationPolicy> = {}): SegmentationAccumulator {
  const pol = resolvePolicy(policy);
  const cases = new Map<string, OverlapCounts>();
  return {
    add(pred, gt, fov, caseId) {
      const id = caseId ?? String(cases.size);
      let c = cases.get(id);
      if (!c) {
        c = emptyOverlapCounts(numClasses);
        cases.set(id, c);
      }
      addOverlapCounts(c, pred, gt, fov);
    },
    result() {
      const pooled = emptyOverlapCounts(numClasses);
      const perCase: CaseScores[] = [];
      for (const [id, c] of cases) {
        perCase.push({ id, ...scoresFromCounts(c, pol) });
        for (let k = 0; k < numClasses; k++) {
          pooled.gt[k] += c.gt[k];
          pooled.pred[k] += c.pred[k];
          pooled.inter[k] += c.inter[k];
        }
        pooled.pixels += c.pixels;
      }
      const classMean = (pick: (s: CaseScores) => MaybeMetric[]) =>
        Array.from({ length: numClasses }, (_, k) => meanDefined(perCase.map((s) => pick(s)[k])));
      return {
        meanDice: meanDefined(perCase.map((s) => s.meanDice)),
        meanIoU: meanDefined(perCase.map((s) => s.meanIoU)),
        perClassDice: classMean((s) => s.dice),
        perClassIoU: classMean((s) => s.iou),
        cases: perCase,
        pooled: scoresFromCounts(pooled, pol),
        policy: pol,
      };
    },
  };
}

/**
 * Pixel AUROC of a binary segmentation: foreground probability per pixel against gt ≠ 0,
 * inside the FOV when given (exact, ties averaged — the same statistic as binaryAuroc).
 */
export function pixelAuroc(prob: ArrayLike<number>, gt: ArrayLike<number>, fov?: ArrayLike<number>): MaybeMetric {
  const acc = createPixelAurocAccumulator();
  acc.add(prob, gt, fov);
  return acc.result();
}

export interface PixelAurocAccumulator {
  add(prob: ArrayLike<number>, gt: ArrayLike<number>, fov?: ArrayLike<number>): void;
  /** AUROC over every pixel added so far, pooled across cases (DRIVE's convention). */
  result(): MaybeMetric;
}

/**
 * Dataset-level pixel AUROC. Exact AUROC needs every score, so this keeps the FOV pixels'
 * probabilities (8 bytes each: DRIVE's 20 test images ≈ 4.6M pixels ≈ 37 MB), split by class.
 */
export function createPixelAurocAccumulator(): PixelAurocAccumulator {
  let pos: Float64Array = new Float64Array(1024);
  let neg: Float64Array = new Float64Array(1024);
  let np = 0;
  let nn = 0;
  const grow = (a: Float64Array, need: number) => {
    if (need <= a.length) return a;
    const b = new Float64Array(Math.max(need, a.length * 2));
    b.set(a);
    return b;
  };
  return {
    add(prob, gt, fov) {
      if (prob.length !== gt.length || (fov && fov.length !== gt.length)) {
        throw new MedprobeError(`pixel AUROC sizes differ: probabilities ${prob.length}, ground truth ${gt.length}${fov ? `, FOV mask ${fov.length}` : ''} pixels`, {
          hint: 'resample the probability map to the label map’s grid before scoring',
        });
      }
      // Count first so each buffer grows only by what it receives.
      let addPos = 0;
      let addNeg = 0;
      for (let i = 0; i < gt.length; i++) {
        if (fov && fov[i] === 0) continue;
        if (!Number.isFinite(prob[i])) {
          throw new MedprobeError(`pixel AUROC: probability ${i} is ${prob[i]}`, { hint: 'check the decoder output for NaN or Inf' });
        }
        if (gt[i] !== 0) addPos++;
        else addNeg++;
      }
      pos = grow(pos, np + addPos);
      neg = grow(neg, nn + addNeg);
      for (let i = 0; i < gt.length; i++) {
        if (fov && fov[i] === 0) continue;
        if (gt[i] !== 0) pos[np++] = prob[i];
        else neg[nn++] = prob[i];
      }
    },
    result() {
      // aurocOfSplit sorts in place; sorting a prefix copy keeps later adds valid.
      return aurocOfSplit(pos.slice(0, np), neg.slice(0, nn));
    },
  };
}
