import assert from 'node:assert/strict';
import type * as ort from 'onnxruntime-node';
import { LOSS } from '../../../src/engine/finetune/head.js';

/**
 * A derived training graph's loss and every trainable gradient against central finite differences
 * of an independent float64 forward: `loss()` reads the current `values` (one Float64Array per
 * trainable tensor, perturbed here in place and restored). Relative error per tensor below 1e-4.
 */
export function assertMatchesFiniteDifferences(
  out: ort.InferenceSession.OnnxValueMapType,
  tg: { params: { name: string }[]; gradOutput: (name: string) => string },
  values: Map<string, Float64Array>,
  loss: () => number,
  label = '',
): void {
  const at = label ? `${label}: ` : '';
  const l0 = loss();
  const ortLoss = (out[LOSS].data as Float32Array)[0];
  assert.ok(Math.abs(ortLoss - l0) < 1e-5 * Math.max(1, Math.abs(l0)), `${at}ORT loss ${ortLoss} vs reference ${l0}`);
  const h = 1e-5;
  for (const p of tg.params) {
    const g = out[tg.gradOutput(p.name)].data as Float32Array;
    const v = values.get(p.name)!;
    let num = 0;
    let den = 0;
    for (let i = 0; i < v.length; i++) {
      const x0 = v[i];
      v[i] = x0 + h;
      const up = loss();
      v[i] = x0 - h;
      const down = loss();
      v[i] = x0;
      const fd = (up - down) / (2 * h);
      num += (g[i] - fd) ** 2;
      den += fd ** 2;
    }
    assert.ok(den > 0, `${at}${p.name} has a non-zero gradient`);
    const rel = Math.sqrt(num / den);
    assert.ok(rel < 1e-4, `${at}${p.name} relative error ${rel.toExponential(2)}`);
  }
}
