/**
 * Bootstrap CI cost: 1000 replicates of AUROC (and of every classification metric) on 25k
 * test samples. The baseline materialises each replicate and re-sorts it (binaryAuroc: two
 * native typed-array sorts per replicate); the fast path sorts once and scores each replicate
 * from per-row multiplicities in O(n). Prints CPU seconds and the ratio, both measured in this run.
 *
 * Run: npm run bench:metrics -- [n] [resamples]
 */
import type { TaskInfo } from '../src/data/types.js';
import { binaryAuroc, evaluateClassification } from '../src/metrics/classification.js';
import { bootstrapCI, bootstrapClassification, classificationMetric } from '../src/metrics/bootstrap.js';
import { createRng } from '../src/util/random.js';

const n = Number(process.argv[2] ?? 25_000);
const resamples = Number(process.argv[3] ?? 1000);
const rng = createRng(1);
const labels = Int32Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
const scores = Float32Array.from(labels, (y) => 1 / (1 + Math.exp(-(rng.normal() + y))));
const binary: TaskInfo = { type: 'binary', labels: ['neg', 'pos'] };

/** CPU seconds of this process: on a shared machine wall time mostly measures the neighbours. */
function seconds<T>(f: () => T): [number, T] {
  const t0 = process.cpuUsage();
  const v = f();
  const d = process.cpuUsage(t0);
  return [(d.user + d.system) / 1e6, v];
}

const opts = { resamples, seed: 0 };
const [slow, ciSlow] = seconds(() => bootstrapCI((l, s) => binaryAuroc(l, s), labels, scores, opts));
const [fast, ciFast] = seconds(() => bootstrapCI(classificationMetric(binary, 'auroc'), labels, scores, opts));
console.log(`AUROC, n=${n}, ${resamples} replicates`);
console.log(`  materialise + re-sort (baseline): ${slow.toFixed(2)} s  CI [${ciSlow?.low.toFixed(4)}, ${ciSlow?.high.toFixed(4)}]`);
console.log(`  sort once, count-weighted (used): ${fast.toFixed(2)} s  CI [${ciFast?.low.toFixed(4)}, ${ciFast?.high.toFixed(4)}]`);
console.log(`  speed-up ×${(slow / fast).toFixed(1)}`);

const C = 9;
const mc: TaskInfo = { type: 'multi-class', labels: Array.from({ length: C }, (_, c) => `c${c}`) };
const mcLabels = Int32Array.from({ length: n }, () => rng.int(C));
const mcScores = new Float32Array(n * C);
for (let i = 0; i < n; i++) {
  let sum = 0;
  for (let c = 0; c < C; c++) sum += mcScores[i * C + c] = Math.exp(rng.normal() + (c === mcLabels[i] ? 1 : 0));
  for (let c = 0; c < C; c++) mcScores[i * C + c] /= sum;
}
const mcResamples = Math.max(1, Math.round(resamples / 10));
const [mcSlow] = seconds(() => bootstrapCI((l, s) => evaluateClassification(mc, l, s).auroc, mcLabels, mcScores, { resamples: mcResamples, seed: 0, scoreWidth: C }));
const [mcFast] = seconds(() => bootstrapClassification(mc, mcLabels, mcScores, { resamples: mcResamples, seed: 0 }));
console.log(`All classification metrics, ${C} classes, n=${n}, ${mcResamples} replicates`);
console.log(`  materialise + evaluateClassification (baseline): ${mcSlow.toFixed(2)} s`);
console.log(`  bootstrapClassification (used):                  ${mcFast.toFixed(2)} s  (×${(mcSlow / mcFast).toFixed(1)}; all keys from the same replicates)`);
