import { test } from 'node:test';
import { checkRule } from '../check-rule.js';

test('Gemm: every transA/transB combination, α, β and a broadcast bias', async () => {
  for (const transA of [0, 1]) {
    for (const transB of [0, 1]) {
      const a = transA ? [4, 3] : [3, 4];
      const b = transB ? [5, 4] : [4, 5];
      await checkRule({ op: 'Gemm', inputs: [{ dims: a }, { dims: b }, { dims: [5] }], attrs: { transA, transB, alpha: { f: 0.5 }, beta: { f: 2 } } });
    }
  }
});
