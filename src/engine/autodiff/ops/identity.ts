import type { OpRule } from '../rule.js';
import { inferUnary } from './elementwise.js';

export const Identity: OpRule = {
  infer: (c) => inferUnary(c, (x) => x),
  grad: ({ dy }) => [dy[0]],
};
