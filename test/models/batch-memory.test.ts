/**
 * Memory-aware batch sizes (pure logic, no timing): the activation estimate reproduces issue 17's
 * measured ViT-S/14 at 448 px peaks, and the chooser fits ViT-L/14 at 448 px in 8 GB, keeps 224 px
 * at the default 32, keeps a given batch (flagging it when over budget) and never goes below 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseBatchSize, vitActivationBytesPerImage } from '../../src/models/batch-memory.js';
import { memoryBudget, memoryBudgetBytes } from '../../src/util/memory-budget.js';

const GB = 2 ** 30;
const MB = 2 ** 20;
const tokens = (size: number, patch = 14) => (size / patch) ** 2 + 1;

test('ViT activation estimate: ViT-S/14 at 448 px within 10 % of the measured 131 MB per image; ViT-L ≈ 340 MB', () => {
  const s = vitActivationBytesPerImage({ tokens: tokens(448), dim: 384 });
  assert.ok(Math.abs(s / MB - 131) / 131 < 0.1, `ViT-S 448: ${(s / MB).toFixed(0)} MB`);
  const measuredBatch8 = 1.45 * GB;
  const fixed = measuredBatch8 - 8 * s;
  const predicted32 = fixed + 32 * s;
  assert.ok(Math.abs(predicted32 / GB - 4.6) / 4.6 < 0.1, `batch 32 predicted ${(predicted32 / GB).toFixed(2)} GB vs 4.6 measured`);
  const l = vitActivationBytesPerImage({ tokens: tokens(448), dim: 1024 });
  assert.ok(l / MB > 300 && l / MB < 380, `ViT-L 448: ${(l / MB).toFixed(0)} MB`);
  // fp16 halves it; exposed blocks add T × D each; more tokens cost quadratically.
  assert.equal(vitActivationBytesPerImage({ tokens: 1025, dim: 384, bytesPerValue: 2 }) * 2, s);
  assert.equal(vitActivationBytesPerImage({ tokens: 1025, dim: 384, exposedBlocks: 4 }) - s, 4 * 1025 * 384 * 4);
  assert.ok(vitActivationBytesPerImage({ tokens: tokens(448), dim: 384 }) > 3.5 * vitActivationBytesPerImage({ tokens: tokens(224), dim: 384 }));
});

test('chooser: ViT-L at 448 fits 8 GB; 224 px keeps the default 32; a given batch is kept and flagged; never below 1', () => {
  const weightsL = 1.2 * GB;
  const l448 = chooseBatchSize({ perImageBytes: vitActivationBytesPerImage({ tokens: tokens(448), dim: 1024 }), fixedBytes: weightsL, budgetBytes: 8 * GB });
  assert.equal(l448.source, 'memory');
  assert.ok(l448.batchSize >= 1 && l448.batchSize < 32, `batch ${l448.batchSize}`);
  assert.ok(l448.expectedPeakBytes! <= 8 * GB && !l448.overBudget);
  assert.ok(l448.expectedPeakBytes! + vitActivationBytesPerImage({ tokens: tokens(448), dim: 1024 }) > 8 * GB, 'the largest batch that fits');

  const s224 = chooseBatchSize({ perImageBytes: vitActivationBytesPerImage({ tokens: tokens(224), dim: 384 }), fixedBytes: 0.1 * GB, budgetBytes: 8 * GB });
  assert.equal(s224.batchSize, 32);

  const given = chooseBatchSize({ given: 32, perImageBytes: vitActivationBytesPerImage({ tokens: tokens(448), dim: 1024 }), fixedBytes: weightsL, budgetBytes: 8 * GB });
  assert.deepEqual([given.batchSize, given.source, given.overBudget], [32, 'given', true]);

  const tiny = chooseBatchSize({ perImageBytes: 1 * GB, fixedBytes: 1 * GB, budgetBytes: 1.5 * GB });
  assert.deepEqual([tiny.batchSize, tiny.overBudget], [1, true]);
  assert.throws(() => chooseBatchSize({ given: 0, perImageBytes: 1, fixedBytes: 0, budgetBytes: 1 }), /batch size 0/);
});

test('budget: MEDPROBE_MEMORY_BUDGET_MB wins, else half of available memory', () => {
  const saved = process.env.MEDPROBE_MEMORY_BUDGET_MB;
  try {
    process.env.MEDPROBE_MEMORY_BUDGET_MB = '8192';
    assert.equal(memoryBudgetBytes(), 8 * GB);
    assert.equal(memoryBudget().source, '$MEDPROBE_MEMORY_BUDGET_MB');
    delete process.env.MEDPROBE_MEMORY_BUDGET_MB;
    assert.ok(memoryBudgetBytes() > 0);
    assert.match(memoryBudget().source, /^half of (MemAvailable|free memory)$/);
  } finally {
    if (saved === undefined) delete process.env.MEDPROBE_MEMORY_BUDGET_MB;
    else process.env.MEDPROBE_MEMORY_BUDGET_MB = saved;
  }
});
