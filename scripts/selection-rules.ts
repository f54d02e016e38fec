/**
 * How the linear probe's selection rule moves its gap to scikit-learn (issue 16). Takes the
 * .npy features that scripts/probe-vs-sklearn.ts --keep-npy wrote for one binary dataset, trains
 * the shipped default grid (8 lrs × 6 weight decays, 100 epochs or the 5000-step floor, batch 128, seed 0, the grid
 * and refit seeds of runLinearProbe) on train and, as one bank, every head again on train+val.
 * Then scripts/selection-rules.py applies each rule to the val probabilities of both medprobe's
 * heads and sklearn's 17 C values, and prints one Markdown row per rule: the test AUROC of the
 * chosen head's train+val refit on each side. Results live in docs/results/protocols.md §5.1.
 *
 *   node --import tsx scripts/probe-vs-sklearn.ts examples/adrenal3d.yaml --keep-npy npy
 *   node --import tsx scripts/selection-rules.ts npy/adrenalmnist3d [--min-steps 5000]
 *
 * --min-steps 0 trains exactly 100 epochs, the probe before its step floor (§5.1's table).
 *
 * The refit bank trains all 48 heads together where runLinearProbe refits only the chosen one;
 * the heads do not interact, and the rows for the study's rule reproduce probe-vs-sklearn.ts.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { predictHeads, trainHeads } from '../src/engine/heads.js';
import { npyRows, stackedRows } from '../src/engine/rows.js';
import { LINEAR_DEFAULTS } from '../src/protocols/linear/options.js';
import { probeEpochs } from '../src/protocols/linear/probe.js';
import { readNpy, writeNpy } from '../src/util/npy.js';
import { deriveSeed } from '../src/util/random.js';

const fail = (line: string): never => {
  console.error(line);
  process.exit(1);
};
const dir = process.argv[2] ?? fail('usage: node --import tsx scripts/selection-rules.ts <dir with {train,val,test}_{x,y}.npy> (scripts/probe-vs-sklearn.ts --keep-npy writes one)');
const python = process.env.MEDPROBE_PYTHON ?? '/usr/bin/python3';
const labels = async (s: string) => Int32Array.from((await readNpy(path.join(dir, `${s}_y.npy`))).data as ArrayLike<number>);
const [ytr, yva] = [await labels('train'), await labels('val')];
if (new Set([...ytr, ...yva]).size !== 2) fail(`${dir}: the labels are not binary; scripts/selection-rules.ts handles binary tasks only`);
const rows = (s: string) => npyRows(path.join(dir, `${s}_x.npy`));
const [train, val, test] = [rows('train'), rows('val'), rows('test')];

// Same head order and seeds as runLinearProbe (weight decay outer, lr inner).
const hypers = LINEAR_DEFAULTS.weightDecay.flatMap((weightDecay) => LINEAR_DEFAULTS.lr.map((lr) => ({ lr, weightDecay })));
const at = process.argv.indexOf('--min-steps');
const minSteps = at > 0 ? Number(process.argv[at + 1]) : LINEAR_DEFAULTS.minSteps;
const fit = { classes: 1, activation: 'sigmoid' as const, epochs: probeEpochs(train.rows, LINEAR_DEFAULTS.batchSize, LINEAR_DEFAULTS.epochs, minSteps), batchSize: LINEAR_DEFAULTS.batchSize, momentum: 0.9 };
const [grid] = await trainHeads({ ...fit, sources: [train], heads: [hypers], targets: Float32Array.from(ytr), seed: deriveSeed(0, 'linear-probe/grid') });
const both = Float32Array.from([...ytr, ...yva]);
const [refit] = await trainHeads({ ...fit, sources: [stackedRows(train, val)], heads: [hypers], targets: both, seed: deriveSeed(0, 'linear-probe/refit') });

// One sigmoid output per head: predictHeads gives [rows × heads], head h in column h.
await writeNpy(path.join(dir, 'probe_val_p.npy'), await predictHeads(grid, val), [val.rows, hypers.length]);
await writeNpy(path.join(dir, 'probe_test_p.npy'), await predictHeads(refit, test), [test.rows, hypers.length]);

const here = path.dirname(fileURLToPath(import.meta.url));
const py = spawnSync(python, [path.join(here, 'selection-rules.py'), dir, JSON.stringify(hypers)], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'] });
process.exit(py.status ?? 1);
