/**
 * The run-level ETA: what is left to extract at each model's speed (history first, this run's
 * own speed once measured) plus what is left to evaluate; unknown parts are named, not guessed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunProgress } from '../../src/run/run-progress.js';
import type { RunPlan } from '../../src/run/plan.js';

function plan(opts: { ips?: number; evalEstimates: (number | undefined)[] }): RunPlan {
  const extract = [0, 1].map((i) => ({ kind: 'extract', model: 0, modelName: 'm', images: 500, cached: false, key: `e${i}` }));
  const evals = opts.evalEstimates.map((s, i) => ({ kind: 'eval', model: 0, key: `v${i}`, done: false, samples: 1000, ...(s === undefined ? {} : { estimate: { seconds: s, basis: 'same unit' } }) }));
  return { models: [{ index: 0, name: 'm', imagesPerSecond: opts.ips }], extract, eval: evals, skipped: [] } as unknown as RunPlan;
}

test('history gives the ETA before anything ran; this run’s own speed replaces it once measured', () => {
  let t = 0;
  const run = new RunProgress(plan({ ips: 100, evalEstimates: [30, 30] }), () => t);
  // 1000 inputs at 100/s + 2 × 30 s of evaluation.
  assert.equal(run.eta().seconds, 70);
  assert.match(run.describe(), /run 0 % extracted · 2 evaluation\(s\) left · run ETA 70 s/);
  run.shardStarted(0);
  t = 5000;
  run.extracted(0, 250); // 50/s measured in this run
  assert.equal(run.eta().seconds, 750 / 50 + 60);
  run.extracted(0, 750);
  run.shardStopped(0);
  run.evaluated(40);
  assert.equal(run.eta().seconds, 30);
  run.evaluated(30);
  assert.equal(run.describe(), 'run complete');
});

test('no history: unknown parts are named; evaluations done so far stand in for the rest', () => {
  let t = 0;
  const run = new RunProgress(plan({ evalEstimates: [undefined, undefined, undefined] }), () => t);
  assert.match(run.describe(), /run ETA unknown until some extraction and evaluation has run/);
  run.shardStarted(0);
  t = 2000;
  run.extracted(0, 1000);
  run.shardStopped(0);
  assert.match(run.describe(), /run ETA unknown until some evaluation has run/);
  run.evaluated(12);
  assert.deepEqual(run.eta(), { seconds: 24, unknown: [] });
  assert.match(run.describe(), /2 evaluation\(s\) left · run ETA 24 s/);
});
