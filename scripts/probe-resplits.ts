/**
 * Is the linear probe systematically below scikit-learn's tuned LogisticRegression, or is one
 * split's gap val noise? (issue 16). Takes the .npy features that scripts/probe-vs-sklearn.ts
 * --keep-npy wrote for one binary dataset, then, for the official split and for R stratified
 * re-draws of val out of train+val (same size and positives as the official val, seeded),
 * runs runLinearProbe with the shipped defaults (its own selection and refit) and writes the chosen
 * head's test scores. scripts/probe-resplits.py does the same draws with sklearn (C on val
 * AUROC, refit on train+val) and prints the gap per draw and its mean ± SE. Test is never redrawn.
 *
 *   node --import tsx scripts/probe-vs-sklearn.ts examples/adrenal3d.yaml --keep-npy npy
 *   node --import tsx scripts/probe-resplits.ts npy/adrenalmnist3d [--resplits 30] [--min-steps 0,5000] [--lr-selection val,train-loss] [--weight-decays 'default;0,1e-3,1']
 *
 * Every combination of --min-steps × --lr-selection × --weight-decays (grids separated by ';')
 * runs on the same draws (default: the shipped setting);
 * min-steps 0 trains exactly the default 100 epochs, lr-selection val is the reference study's rule.
 * Results live in docs/results/protocols.md §5.2.
 */
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskInfo } from '../src/data/types.js';
import { evaluateClassification } from '../src/metrics/evaluate-classification.js';
import { LINEAR_DEFAULTS, runLinearProbe, type LrSelection } from '../src/protocols/linear/index.js';
import { concatRows, takeRows, type Matrix } from '../src/util/matrix.js';
import { readNpy, writeNpy } from '../src/util/npy.js';
import { createRng, deriveSeed, shuffleInPlace } from '../src/util/random.js';

const fail = (line: string): never => {
  console.error(line);
  process.exit(1);
};
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const dir = args[0] ?? fail('usage: node --import tsx scripts/probe-resplits.ts <dir with {train,val,test}_{x,y}.npy> [--resplits 30] [--min-steps 0,5000]');
const resplits = Number(opt('resplits', '30'));
const grids = opt('weight-decays', 'default')
  .split(';')
  .map((g) => (g === 'default' ? [...LINEAR_DEFAULTS.weightDecay] : g.split(',').map(Number)));
const settings = opt('min-steps', String(LINEAR_DEFAULTS.minSteps))
  .split(',')
  .flatMap((minSteps) =>
    opt('lr-selection', LINEAR_DEFAULTS.lrSelection)
      .split(',')
      .flatMap((lrSelection) => grids.map((weightDecayGrid) => ({ minSteps: Number(minSteps), lrSelection: lrSelection as LrSelection, weightDecayGrid }))),
  );
const python = process.env.MEDPROBE_PYTHON ?? '/usr/bin/python3';

const features = async (s: string): Promise<Matrix> => {
  const a = await readNpy(path.join(dir, `${s}_x.npy`));
  return { data: Float32Array.from(a.data as ArrayLike<number>), rows: a.shape[0], cols: a.shape[1] };
};
const labels = async (s: string) => Int32Array.from((await readNpy(path.join(dir, `${s}_y.npy`))).data as ArrayLike<number>);
const [xtr, xva, xte] = [await features('train'), await features('val'), await features('test')];
const [ytr, yva, yte] = [await labels('train'), await labels('val'), await labels('test')];
if (new Set([...ytr, ...yva]).size !== 2) fail(`${dir}: the labels are not binary; scripts/probe-resplits.ts handles binary tasks only`);
const task: TaskInfo = { type: 'binary', labels: ['0', '1'] };
const xall = concatRows(xtr, xva);
const yall = Int32Array.from([...ytr, ...yva]);
const valPositives = yva.reduce((a, b) => a + b, 0);

/** Val rows (indices into train+val) of draw r; r = -1 is the official split. */
function drawVal(r: number): Int32Array {
  if (r < 0) return Int32Array.from({ length: yva.length }, (_, i) => xtr.rows + i);
  const rng = createRng(deriveSeed(0, `probe-resplits draw ${r}`));
  const of = (c: number) => shuffleInPlace([...yall.keys()].filter((i) => yall[i] === c), rng) as number[];
  const [neg, pos] = [of(0), of(1)];
  return Int32Array.from([...pos.slice(0, valPositives), ...neg.slice(0, yva.length - valPositives)].sort((a, b) => a - b));
}

const out = path.join(dir, 'resplits');
await mkdir(out, { recursive: true });
const rows: string[] = [];
for (let r = -1; r < resplits; r++) {
  const val = drawVal(r);
  const inVal = new Uint8Array(yall.length);
  for (const i of val) inVal[i] = 1;
  const train = Int32Array.from([...yall.keys()].filter((i) => !inVal[i]));
  const pick = (idx: Int32Array) => ({ features: takeRows(xall, idx), labels: Int32Array.from(idx, (i) => yall[i]) });
  const runs = [];
  for (const setting of settings) {
    const probe = await runLinearProbe({ task, train: pick(train), val: pick(val), test: { features: xte, labels: yte }, ...setting, seed: 0, onProgress: () => {} });
    runs.push({ ...setting, auroc: evaluateClassification(task, yte, probe.testScores).auroc, chosen: probe.chosen, epochs: probe.config.epochs });
  }
  const tag = r < 0 ? 'official' : String(r);
  await writeNpy(path.join(out, `val_idx_${tag}.npy`), val, [val.length]);
  rows.push(JSON.stringify({ draw: tag, runs }));
  console.error(`draw ${tag}: ${rows[rows.length - 1]}`);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const py = spawnSync(python, [path.join(here, 'probe-resplits.py'), dir, out], { input: rows.join('\n'), encoding: 'utf8', stdio: ['pipe', 'inherit', 'inherit'] });
process.exit(py.status ?? 1);
