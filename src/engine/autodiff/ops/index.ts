import type { OpRule } from '../rule.js';
import { Add } from './add.js';
import { Cast } from './cast.js';
import { Clip } from './clip.js';
import { Equal, Greater, Less } from './compare.js';
import { Concat } from './concat.js';
import { Constant } from './constant.js';
import { ConstantOfShape } from './constant-of-shape.js';
import { Conv } from './conv.js';
import { Div } from './div.js';
import { Dropout } from './dropout.js';
import { Erf } from './erf.js';
import { Exp } from './exp.js';
import { Expand } from './expand.js';
import { Flatten } from './flatten.js';
import { Ceil, Floor } from './floor.js';
import { Gather } from './gather.js';
import { Gemm } from './gemm.js';
import { GlobalAveragePool } from './global-average-pool.js';
import { Identity } from './identity.js';
import { LayerNormalization } from './layer-normalization.js';
import { Log } from './log.js';
import { LogSoftmax } from './log-softmax.js';
import { MatMul } from './matmul.js';
import { Mul } from './mul.js';
import { Neg } from './neg.js';
import { Pow } from './pow.js';
import { Range } from './range.js';
import { ReduceMean } from './reduce-mean.js';
import { ReduceSum } from './reduce-sum.js';
import { Relu } from './relu.js';
import { Reshape } from './reshape.js';
import { Resize } from './resize.js';
import { Shape } from './shape.js';
import { Sigmoid } from './sigmoid.js';
import { Slice } from './slice.js';
import { Softmax } from './softmax.js';
import { Softplus } from './softplus.js';
import { Split } from './split.js';
import { Sqrt } from './sqrt.js';
import { Squeeze } from './squeeze.js';
import { Sub } from './sub.js';
import { Sum } from './sum.js';
import { Tanh } from './tanh.js';
import { Transpose } from './transpose.js';
import { Unsqueeze } from './unsqueeze.js';
import { Where } from './where.js';

/** Every operator the autodiff knows, by ONNX op type (default domain). */
export const RULES: Readonly<Record<string, OpRule>> = {
  Add, Cast, Ceil, Clip, Concat, Constant, ConstantOfShape, Conv, Div, Dropout, Equal, Erf, Exp, Expand, Flatten, Floor,
  Gather, Gemm, GlobalAveragePool, Greater, Identity, LayerNormalization, Less, Log, LogSoftmax, MatMul, Mul, Neg, Pow,
  Range, ReduceMean, ReduceSum, Relu, Reshape, Resize, Shape, Sigmoid, Slice, Softmax, Softplus, Split, Sqrt, Squeeze,
  Sub, Sum, Tanh, Transpose, Unsqueeze, Where,
};
