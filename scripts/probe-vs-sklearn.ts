/**
 * Cross-check of the linear probe against scikit-learn's LogisticRegression (C chosen on val,
 * refit on train+val) on the same cached features, for the probe's weight-decay grids given.
 * Extracts (or reuses) the suite's features for its first model, writes them as .npy for
 * scripts/probe-vs-sklearn.py (Debian python with sklearn: /usr/bin/python3) and prints one
 * Markdown row per dataset × grid. Results live in docs/results/protocols.md.
 *
 *   node --import tsx scripts/probe-vs-sklearn.ts examples/pneumonia.yaml [--cache-dir c] [--wd 0] [--wd default] [--keep-npy dir]
 *
 * --keep-npy writes the .npy files under dir/<dataset>/ and keeps them (for reruns of the python side alone).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSuite } from '../src/run/suite.js';
import { RunResources, resolveRunLocation } from '../src/run/resources.js';
import { buildPlan } from '../src/run/plan.js';
import { executeExtract } from '../src/run/units.js';
import { FeatureCache } from '../src/features/cache.js';
import { aggregateSlices } from '../src/protocols/volume.js';
import { runLinearProbe, DEFAULT_WEIGHT_DECAY_GRID } from '../src/protocols/linear/probe.js';
import { evaluateClassification } from '../src/metrics/evaluate-classification.js';
import { writeNpy } from '../src/util/npy.js';
import type { Matrix } from '../src/util/matrix.js';
import type { SplitName } from '../src/data/types.js';

const args = process.argv.slice(2);
const suiteFile = args[0];
const opt = (name: string): string[] => args.flatMap((a, i) => (a === `--${name}` && args[i + 1] ? [args[i + 1]] : []));
const grids = (opt('wd').length ? opt('wd') : ['0', 'default']).map((g) => (g === 'default' ? [...DEFAULT_WEIGHT_DECAY_GRID] : g.split(',').map(Number)));
const python = process.env.MEDPROBE_PYTHON ?? '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));

const loaded = await loadSuite(suiteFile);
const keep = opt('keep-npy')[0];
const tmp = keep ? path.resolve(keep) : await mkdtemp(path.join(os.tmpdir(), 'medprobe-probe-sk-'));
const res = new RunResources(resolveRunLocation(loaded, { cacheDir: opt('cache-dir')[0], resultsDir: path.join(tmp, 'results') }));
try {
  const plan = await buildPlan(res);
  for (const u of plan.extract) if (!u.cached) await executeExtract(u, res);
  const cache = new FeatureCache(path.join(res.location.cacheDir, 'features'));
  const linear = loaded.suite.protocols.linear;
  if (!linear) throw new Error(`${suiteFile} has no linear protocol`);
  console.log('| dataset | model | medprobe wd grid | medprobe test AUROC (chosen lr, wd) | sklearn C (val) | sklearn test AUROC | Δ |');
  console.log('| --- | --- | --- | ---: | ---: | ---: | ---: |');
  for (const unit of plan.eval.filter((u) => u.protocol === 'linear')) {
    const dataset = await res.dataset(unit.dataset);
    const entry = loaded.suite.datasets[unit.dataset];
    const split: Partial<Record<SplitName, { features: Matrix; labels: Int32Array }>> = {};
    for (const [s, key] of Object.entries(unit.needs) as [SplitName, string][]) {
      const e = await cache.read(key);
      let m = e.matrix;
      if (e.offsets) {
        const idx = new Int32Array(e.offsets[e.offsets.length - 1]);
        for (let v = 0; v + 1 < e.offsets.length; v++) idx.fill(v, e.offsets[v], e.offsets[v + 1]);
        m = aggregateSlices(m, idx, entry.sliceAggregation === 'max' ? 'max' : 'mean');
      }
      split[s] = { features: m, labels: dataset.splits[s]!.labels };
      const dir = path.join(tmp, unit.datasetName);
      await writeNpy(path.join(dir, `${s}_x.npy`), m.data, [m.rows, m.cols]);
      await writeNpy(path.join(dir, `${s}_y.npy`), split[s]!.labels, [split[s]!.labels.length]);
    }
    const sklearn = (extraC: number[] = []) => {
      const py = spawnSync(python, [path.join(here, 'probe-vs-sklearn.py'), path.join(tmp, unit.datasetName), ...extraC.map(String)], { encoding: 'utf8' });
      if (py.status !== 0) throw new Error(`sklearn check failed: ${py.stderr}`);
      return JSON.parse(py.stdout) as { C: number; test_auroc_refit_train_val: number; sklearn: string; test_auroc_at_C: Record<string, number> };
    };
    const sk = sklearn();
    const matched: string[] = [];
    for (const wd of grids) {
      const out = await runLinearProbe({
        dataset: unit.datasetName,
        task: dataset.task,
        train: split.train!,
        val: split.val!,
        test: split.test!,
        lrGrid: linear.lr,
        weightDecayGrid: wd,
        epochs: linear.epochs,
        minSteps: linear.minSteps,
        batchSize: linear.batchSize,
        seed: loaded.suite.seed,
        onProgress: () => {},
      });
      const auroc = evaluateClassification(dataset.task, split.test!.labels, out.testScores).auroc!;
      const c = out.chosen as { lr: number; weightDecay: number };
      // The same regularisation in sklearn's terms (medprobe's final head is fitted on train+val).
      const n = split.train!.features.rows + split.val!.features.rows;
      if (c.weightDecay > 0) {
        const C = 1 / (c.weightDecay * n);
        matched.push(`medprobe's chosen wd ${c.weightDecay} = C ${C.toPrecision(3)} in sklearn: test AUROC ${sklearn([C]).test_auroc_at_C[String(C)].toFixed(4)} (medprobe ${auroc.toFixed(4)})`);
      }
      console.log(
        `| ${unit.datasetName} | ${unit.modelName} | [${wd.join(', ')}] | ${auroc.toFixed(4)} (${c.lr}, ${c.weightDecay}) | ${sk.C.toPrecision(3)} | ${sk.test_auroc_refit_train_val.toFixed(4)} | ${(auroc - sk.test_auroc_refit_train_val >= 0 ? '+' : '') + (auroc - sk.test_auroc_refit_train_val).toFixed(4)} |`,
      );
    }
    for (const m of matched) console.log(`- ${unit.datasetName}: ${m}`);
    console.error(`sklearn ${sk.sklearn}; features ${split.train!.features.cols}-d, train/val/test ${split.train!.features.rows}/${split.val!.features.rows}/${split.test!.features.rows}`);
  }
} finally {
  await res.close();
  if (!keep) await rm(tmp, { recursive: true, force: true });
}
