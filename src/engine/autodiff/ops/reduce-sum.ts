import type { OpRule } from '../rule.js';
import { gradReduce, inferReduce } from './reduce.js';

export const ReduceSum: OpRule = { infer: (c) => inferReduce(c, false), grad: (c) => gradReduce(c, false) };
