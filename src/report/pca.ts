import sharp from 'sharp';
import { GraphBuilder, engineSession, floatTensor, type ort } from '../engine/graph.js';
import { writeFileAtomic } from '../util/atomic.js';
import { MedprobeError } from '../util/errors.js';
import { createRng } from '../util/random.js';

/**
 * PCA patch maps as in DINOv2 (Oquab et al. 2023, Fig. 1): PCA over the patch tokens of a few
 * images together; the first component separates object from background, so patches on the
 * background side of a threshold are blacked out; a second PCA over the foreground patches
 * gives three components shown as RGB.
 */

/** Patch tokens of one image: row-major [h × w] patches, `dim` features each. */
export interface PatchGrid {
  data: Float32Array;
  dim: number;
  h: number;
  w: number;
}

/** An RGB image at patch resolution, interleaved, 0–255. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface PcaPatchMapOptions {
  /**
   * Threshold on the first component, min–max scaled to [0, 1] over all patches (DINOv2's
   * notebooks use ~0.35–0.5). Default 0.5. `null` keeps every patch (no background removal).
   */
  threshold?: number | null;
  /**
   * Which side of the threshold is foreground. An eigenvector's sign is arbitrary, so the
   * default 'centre' picks the side holding most patches of the central half of each image,
   * where anatomy sits in medical crops.
   */
  foreground?: 'above' | 'below' | 'centre';
  /** Power-iteration limits (see `topEigenvectors`). */
  maxIterations?: number;
  tolerance?: number;
}

export interface PcaPatchMaps {
  images: RgbImage[];
  /** Eigenvalues of the first PCA (all patches) and of the second (foreground), largest first. */
  eigenvalues: { all: number[]; foreground: number[] };
  /** Fraction of patches kept as foreground. */
  foregroundFraction: number;
}

/** Xᵀ·X of a centred [n × d] matrix in ONNX Runtime: the O(n·d²) step (4096 × 1024 tokens ≈ 4 GFLOP). */
function covarianceSession(): Promise<ort.InferenceSession> {
  return engineSession('gram', () => {
    const g = new GraphBuilder('medprobe_gram');
    const x = g.input('x', ['n', 'd']);
    g.output('gram', ['d', 'd']);
    g.op('Gemm', [x, x], { transA: 1 }, ['gram']);
    return g.toBytes();
  });
}

/** Covariance (divisor n − 1) of the rows of x [n × d]; rows are centred here (in float64 means). */
export async function covariance(x: Float32Array, n: number, d: number): Promise<{ cov: Float64Array; mean: Float64Array }> {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const centred = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centred[i * d + j] = x[i * d + j] - mean[j];
  const out = await (await covarianceSession()).run({ x: floatTensor(centred, [n, d]) });
  const gram = out.gram.data as Float32Array;
  const cov = new Float64Array(d * d);
  const div = Math.max(1, n - 1);
  for (let k = 0; k < d * d; k++) cov[k] = gram[k] / div;
  return { cov, mean };
}

/**
 * Leading `k` eigenpairs of a symmetric positive semi-definite d×d matrix by power iteration
 * with deflation (Gram–Schmidt against the vectors already found).
 * Why not Jacobi: a Jacobi sweep costs O(d³) — ~10⁹ multiply-adds per sweep at d = 1024 and
 * ~10 sweeps — while we need only 3 vectors; each power step is one d×d mat-vec (10⁶ at
 * d = 1024), so even 1000 steps × 3 vectors stay around a second in JS. Convergence is linear
 * in λ₂/λ₁; for PCA maps the leading components of patch tokens are well separated, and an
 * unconverged vector still spans nearly the same colour subspace. Signs are fixed so the
 * largest-magnitude entry is positive, which makes results reproducible.
 * Measured (`npm run bench:pca`, D = 768, 1024 tokens, shared 2-core machine): top-3 by power
 * iteration 0.19 s CPU vs 1.8 s for a single Jacobi sweep (6–10 needed); the covariance in ORT
 * 0.075 s vs 0.99 s as JS loops.
 */
export function topEigenvectors(a: Float64Array, d: number, k: number, opts: { maxIterations?: number; tolerance?: number; seed?: number } = {}): { values: number[]; vectors: Float64Array[] } {
  const maxIt = opts.maxIterations ?? 1000;
  const tol = opts.tolerance ?? 1e-10;
  const rng = createRng(opts.seed ?? 0);
  const vectors: Float64Array[] = [];
  const values: number[] = [];
  const tmp = new Float64Array(d);
  const orthogonalise = (v: Float64Array): void => {
    for (const u of vectors) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += u[j] * v[j];
      for (let j = 0; j < d; j++) v[j] -= dot * u[j];
    }
  };
  const normalise = (v: Float64Array): number => {
    let s = 0;
    for (let j = 0; j < d; j++) s += v[j] * v[j];
    const n = Math.sqrt(s);
    if (n > 0) for (let j = 0; j < d; j++) v[j] /= n;
    return n;
  };
  for (let c = 0; c < Math.min(k, d); c++) {
    let v = new Float64Array(d);
    for (let j = 0; j < d; j++) v[j] = rng.normal();
    orthogonalise(v);
    normalise(v);
    let lambda = 0;
    for (let it = 0; it < maxIt; it++) {
      for (let i = 0; i < d; i++) {
        let s = 0;
        const row = i * d;
        for (let j = 0; j < d; j++) s += a[row + j] * v[j];
        tmp[i] = s;
      }
      orthogonalise(tmp);
      const norm = normalise(tmp);
      let change = 0;
      for (let j = 0; j < d; j++) change = Math.max(change, Math.abs(tmp[j] - v[j]));
      v = Float64Array.from(tmp);
      lambda = norm;
      if (norm === 0 || change < tol) break;
    }
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
    if (v[big] < 0) for (let j = 0; j < d; j++) v[j] = -v[j];
    vectors.push(v);
    values.push(lambda);
  }
  return { values, vectors };
}

function project(x: Float32Array, rows: ArrayLike<number>, d: number, mean: Float64Array, vectors: Float64Array[]): Float64Array[] {
  return vectors.map((v) => {
    const out = new Float64Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const base = rows[r] * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[base + j] - mean[j]) * v[j];
      out[r] = s;
    }
    return out;
  });
}

function minMax(v: Float64Array): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const span = hi - lo;
  return v.map((x) => (span > 0 ? (x - lo) / span : 0.5));
}

/** First three PCA components of patch tokens over several images, as RGB maps (see module comment). */
export async function pcaPatchMaps(grids: readonly PatchGrid[], opts: PcaPatchMapOptions = {}): Promise<PcaPatchMaps> {
  if (grids.length === 0) throw new MedprobeError('PCA patch maps need at least one image', { hint: 'pass the patch-token grids of a few images' });
  const d = grids[0].dim;
  for (const [i, g] of grids.entries())
    if (g.dim !== d || g.data.length !== g.h * g.w * g.dim)
      throw new MedprobeError(`patch grid ${i} is ${g.h}×${g.w}×${g.dim} with ${g.data.length} values (expected dim ${d})`, {
        hint: 'all grids must come from the same backbone and feature',
      });
  const n = grids.reduce((s, g) => s + g.h * g.w, 0);
  if (n < 4) throw new MedprobeError(`PCA patch maps need at least 4 patches, got ${n}`, { hint: 'use a backbone that returns a patch-token grid' });
  const x = new Float32Array(n * d);
  let off = 0;
  for (const g of grids) {
    x.set(g.data, off);
    off += g.data.length;
  }
  const iters = { maxIterations: opts.maxIterations, tolerance: opts.tolerance };
  const all = Array.from({ length: n }, (_, i) => i);

  // 1st PCA over every patch: its first component splits foreground from background.
  const first = await covariance(x, n, d);
  const e1 = topEigenvectors(first.cov, d, 1, iters);
  const pc1 = minMax(project(x, all, d, first.mean, e1.vectors)[0]);
  let foreground = all;
  const threshold = opts.threshold === undefined ? 0.5 : opts.threshold;
  if (threshold !== null) {
    const above = all.filter((i) => pc1[i] > threshold);
    const below = all.filter((i) => pc1[i] <= threshold);
    let side = opts.foreground ?? 'centre';
    if (side === 'centre') {
      const central = new Set<number>();
      let base = 0;
      for (const g of grids) {
        for (let y = 0; y < g.h; y++)
          for (let xx = 0; xx < g.w; xx++) if (Math.abs(y + 0.5 - g.h / 2) <= g.h / 4 && Math.abs(xx + 0.5 - g.w / 2) <= g.w / 4) central.add(base + y * g.w + xx);
        base += g.h * g.w;
      }
      const c = above.filter((i) => central.has(i)).length;
      side = c * 2 >= central.size ? 'above' : 'below';
    }
    foreground = side === 'above' ? above : below;
    if (foreground.length < 4) foreground = all;
  }

  // 2nd PCA over the foreground patches: three components → RGB, each min–max scaled over the foreground.
  const fx = new Float32Array(foreground.length * d);
  foreground.forEach((r, i) => fx.set(x.subarray(r * d, (r + 1) * d), i * d));
  const second = await covariance(fx, foreground.length, d);
  const e3 = topEigenvectors(second.cov, d, 3, iters);
  const comps = project(x, foreground, d, second.mean, e3.vectors).map(minMax);
  const rgb = new Uint8Array(n * 3);
  foreground.forEach((r, i) => {
    for (let c = 0; c < 3; c++) rgb[r * 3 + c] = comps[c] ? Math.round(comps[c][i] * 255) : 0;
  });
  const images: RgbImage[] = [];
  let start = 0;
  for (const g of grids) {
    images.push({ width: g.w, height: g.h, data: rgb.slice(start * 3, (start + g.h * g.w) * 3) });
    start += g.h * g.w;
  }
  return { images, eigenvalues: { all: e1.values, foreground: e3.values }, foregroundFraction: foreground.length / n };
}

/** Write a patch map as PNG, enlarged `scale`× with nearest-neighbour so patches stay crisp. */
export async function writePcaPng(img: RgbImage, file: string, opts: { scale?: number } = {}): Promise<void> {
  const scale = opts.scale ?? 16;
  const png = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(img.width * scale, img.height * scale, { kernel: 'nearest' })
    .png()
    .toBuffer();
  await writeFileAtomic(file, png);
}
