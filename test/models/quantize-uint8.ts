import * as tf from '@tensorflow/tfjs';

/**
 * A TF.js model's weights as `tensorflowjs_converter --quantize_uint8` stores them (per tensor:
 * round((v − min) / scale) in one byte, min and scale in the manifest), plus the dequantized
 * values TF.js will load, so a test can give the original model the same weights and compare.
 */
export function quantizeUint8(model: tf.LayersModel): { bytes: Uint8Array; specs: tf.io.WeightsManifestEntry[]; dequantized: tf.Tensor[] } {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const bytes: number[] = [];
  const dequantized: tf.Tensor[] = [];
  for (const lv of model.weights) {
    const w = lv.read();
    const v = w.dataSync();
    const min = Math.min(...v);
    const scale = (Math.max(...v) - min) / 255;
    const q = Array.from(v, (x) => Math.round((x - min) / scale));
    bytes.push(...q);
    specs.push({ name: lv.originalName, shape: w.shape, dtype: 'float32', quantization: { dtype: 'uint8', min, scale } });
    dequantized.push(tf.tensor(q.map((k) => k * scale + min), w.shape));
  }
  return { bytes: Uint8Array.from(bytes), specs, dequantized };
}
