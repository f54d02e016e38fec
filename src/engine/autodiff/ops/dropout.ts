import type { OpRule } from '../rule.js';

/** In training mode: dX = dY ⊙ mask / (1 − ratio), with the mask the forward node drew. */
export const Dropout: OpRule = {
  infer: ({ ins }) => [
    { dims: [...ins[0].dims], type: ins[0].type },
    { dims: [...ins[0].dims], type: 'bool' },
  ],
  grad: ({ g, ins, dy, extraOutput, fail }) => {
    const ratio = ins[1]?.value ? ins[1].value[0] : 0.5;
    const training = ins[2]?.value ? ins[2].value[0] : 0;
    if (ins[1] && !ins[1].value) fail('the dropout ratio must be a constant');
    if (!training || ratio === 0) return [dy[0]];
    const mask = g.op1('Cast', [extraOutput(1)], { to: 1 });
    return [g.op1('Mul', [dy[0]!, g.op1('Mul', [mask, g.constFloat([1 / (1 - ratio)], [])])])];
  },
};
