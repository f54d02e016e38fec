import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, cosineFactor } from '../../../src/engine/finetune/adamw.js';

test('AdamW with two lr groups, cosine schedule with warm-up and global-norm clipping matches torch.optim.AdamW', () => {
  const params = new Map([
    ['p', Float32Array.of(0.5, -1, 2)],
    ['q', Float32Array.of(0.1, 0.3)],
  ]);
  const opt = new AdamW([{ lr: 0.1, names: ['p'] }, { lr: 0.01, names: ['q'] }], { weightDecay: 0.01, clipNorm: 1, totalSteps: 4, warmupSteps: 1 });
  const grads: [number[], number[]][] = [[[0.3, -2, 1], [0.5, 0.5]], [[0.1, 0.1, -0.2], [-0.3, 0.2]], [[1, 0, 0.5], [0, -0.1]]];
  for (const [gp, gq] of grads) opt.update(params, new Map([['p', Float32Array.from(gp)], ['q', Float32Array.from(gq)]]));
  // torch 1.13: AdamW([{p, lr .1}, {q, lr .01}], weight_decay=.01), LambdaLR(same factor), clip_grad_norm_(1.0), 3 steps
  const want = { p: [0.2428387999534607, -0.8061584830284119, 1.8208385705947876], q: [0.09348712861537933, 0.27580851316452026] };
  for (const [k, w] of Object.entries(want)) w.forEach((v, i) => assert.ok(Math.abs(params.get(k)![i] - v) < 1e-6, `${k}[${i}] ${params.get(k)![i]} vs ${v}`));
});

test('cosine factor: warm-up ramps to 1, then decays to 0 at the last step', () => {
  assert.equal(cosineFactor(0, 10, 2), 0.5);
  assert.equal(cosineFactor(1, 10, 2), 1);
  assert.equal(cosineFactor(2, 10, 2), 1);
  assert.ok(Math.abs(cosineFactor(6, 10, 2) - 0.5) < 1e-12);
  assert.equal(cosineFactor(10, 10, 2), 0);
});
