/**
 * PCA patch maps: where the time goes and why the kernels are what they are.
 * 1. Covariance Xᵀ·X of the centred patch tokens: ONNX Runtime Gemm (used) vs a JS triple loop
 *    exploiting symmetry (baseline).
 * 2. Leading 3 eigenvectors of the D×D covariance: power iteration with deflation in JS (used)
 *    vs one cyclic Jacobi sweep in JS (baseline; a full Jacobi eigen-decomposition needs ~6–10 sweeps).
 * Inputs are synthetic tokens with a decaying spectrum, like ViT patch tokens (a few strong directions).
 * Prints CPU seconds (process.cpuUsage, so a busy shared machine does not inflate them; ORT's own
 * threads are counted too) and ratios, all measured in this run.
 *
 * Run: npm run bench:pca -- [D=768] [patches=1024]
 */
import { covariance, topEigenvectors } from '../src/report/pca.js';
import { createRng } from '../src/util/random.js';

const D = Number(process.argv[2] ?? 768);
const N = Number(process.argv[3] ?? 1024);
const rng = createRng(3);
// Tokens = Σ_k z_k · s_k · u_k + noise, with s_k = 1/(k+1): a few dominant directions.
const K = 16;
const basis = Array.from({ length: K }, () => Float64Array.from({ length: D }, () => rng.normal() / Math.sqrt(D)));
const x = new Float32Array(N * D);
for (let i = 0; i < N; i++)
  for (let k = 0; k < K; k++) {
    const z = rng.normal() / (k + 1);
    for (let j = 0; j < D; j++) x[i * D + j] += z * basis[k][j];
  }
for (let i = 0; i < x.length; i++) x[i] += 0.01 * rng.normal();

async function cpu<T>(f: () => T | Promise<T>): Promise<[number, T]> {
  const t0 = process.cpuUsage();
  const v = await f();
  const d = process.cpuUsage(t0);
  return [(d.user + d.system) / 1e6, v];
}

function jsCovariance(): Float64Array {
  const mean = new Float64Array(D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) mean[j] += x[i * D + j] / N;
  const c = new Float64Array(D * D);
  const row = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) row[j] = x[i * D + j] - mean[j];
    for (let a = 0; a < D; a++) {
      const ra = row[a];
      const base = a * D;
      for (let b = a; b < D; b++) c[base + b] += ra * row[b];
    }
  }
  for (let a = 0; a < D; a++) for (let b = a; b < D; b++) c[b * D + a] = c[a * D + b] /= N - 1;
  return c;
}

/** One cyclic Jacobi sweep over all off-diagonal pairs, rotating a copy of the matrix (no eigenvector accumulation: a lower bound). */
function jacobiSweep(src: Float64Array): void {
  const a = Float64Array.from(src);
  for (let p = 0; p < D - 1; p++)
    for (let q = p + 1; q < D; q++) {
      const apq = a[p * D + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[q * D + q] - a[p * D + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < D; k++) {
        const akp = a[k * D + p];
        const akq = a[k * D + q];
        a[k * D + p] = c * akp - s * akq;
        a[k * D + q] = s * akp + c * akq;
      }
      for (let k = 0; k < D; k++) {
        const apk = a[p * D + k];
        const aqk = a[q * D + k];
        a[p * D + k] = c * apk - s * aqk;
        a[q * D + k] = s * apk + c * aqk;
      }
    }
}

console.log(`PCA patch maps, D=${D}, ${N} patch tokens`);
await covariance(x.subarray(0, 8 * D), 8, D); // session build outside the timing
const [tOrt, ort] = await cpu(() => covariance(x, N, D));
const [tJs, js] = await cpu(() => jsCovariance());
let maxDiff = 0;
for (let k = 0; k < D * D; k++) maxDiff = Math.max(maxDiff, Math.abs(ort.cov[k] - js[k]));
console.log(`  covariance  ORT Gemm (used): ${tOrt.toFixed(3)} s   JS loops (baseline): ${tJs.toFixed(3)} s   ×${(tJs / tOrt).toFixed(1)}   max |Δ| ${maxDiff.toExponential(1)}`);
const [tPow, eig] = await cpu(() => topEigenvectors(ort.cov, D, 3));
const [tSweep] = await cpu(() => jacobiSweep(ort.cov));
console.log(`  top-3 eigvecs, power iteration (used): ${tPow.toFixed(3)} s   one Jacobi sweep (baseline, ≥6 needed): ${tSweep.toFixed(3)} s   ×${(tSweep / tPow).toFixed(1)} per sweep`);
console.log(`  eigenvalues ${eig.values.map((v) => v.toExponential(3)).join(', ')}`);
