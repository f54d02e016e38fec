import { zeros } from '../broadcast.js';
import { axisOf, type OpRule } from '../rule.js';

/** dX = the output gradients concatenated back (zeros for unused outputs). */
export const Split: OpRule = {
  infer: ({ node, ins, attr, fail }) => {
    const x = ins[0];
    const axis = axisOf(attr('axis', 0), x.dims.length);
    const n = node.output!.length;
    let sizes = attr<number[] | undefined>('split', undefined);
    if (!sizes && node.input![1]) {
      if (!ins[1].value) fail('split sizes must be constants');
      sizes = Array.from(ins[1].value!);
    }
    if (!sizes) {
      const per = Math.ceil(x.dims[axis] / n);
      sizes = Array.from({ length: n }, (_, i) => Math.min(per, x.dims[axis] - per * i));
    }
    return sizes.map((s) => ({ dims: x.dims.map((d, i) => (i === axis ? s : d)), type: x.type }));
  },
  grad: ({ g, ins, outs, dy, attr }) => {
    const axis = axisOf(attr('axis', 0), ins[0].dims.length);
    return [g.op1('Concat', outs.map((o, i) => dy[i] ?? zeros(g, o.dims)), { axis })];
  },
};
