import type { OpRule } from '../rule.js';
import { gradReduce, inferReduce } from './reduce.js';

export const ReduceMean: OpRule = { infer: (c) => inferReduce(c, true), grad: (c) => gradReduce(c, true) };
