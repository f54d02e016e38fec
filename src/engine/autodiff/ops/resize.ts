import type { OpRule } from '../rule.js';

/**
 * Shapes only: a Resize in a backbone interpolates the position embedding. It is folded to
 * a constant when that embedding is frozen, and to an Identity at the native grid size; a
 * trainable input through any other Resize has no rule.
 */
export const Resize: OpRule = {
  infer: ({ node, ins, fail }) => {
    const x = ins[0];
    const sizes = node.input![3] ? ins[3] : undefined;
    const scales = node.input![2] ? ins[2] : undefined;
    if (sizes?.value && sizes.value.length) return [{ dims: Array.from(sizes.value), type: x.type }];
    if (scales?.value && scales.value.length) return [{ dims: x.dims.map((d, i) => Math.floor(d * scales.value![i])), type: x.type }];
    return fail('Resize needs constant sizes or scales');
  },
};
