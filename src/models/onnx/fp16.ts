import path from 'node:path';
import { MedprobeError } from '../../util/errors.js';
import { editedTwin, type ExternalRewrites } from './external-data.js';
import { FLOAT, attr, floatValues, node, onnx, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from './proto.js';

/**
 * fp16 models, as an option: the graph's float32 weights and constants become float16, so GPU
 * providers run the backbone in half precision (half the weight memory, tensor-core matmuls),
 * while the model's inputs and outputs stay float32 through Cast nodes, so the rest of medprobe
 * feeds and reads it unchanged. This is what onnxconverter-common's `convert_float_to_float16(
 * keep_io_types=True)` does, done here because medprobe has no Python. On the CPU provider, ONNX
 * Runtime casts around the ops it has no fp16 kernel for: slower than fp32, but the numbers are
 * the fp16 model's, which is what the CPU tests prove.
 */
export const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

/** Ops whose listed inputs must stay float32 in any graph (Resize's roi and scales, Upsample's scales). */
const FLOAT32_INPUTS: Record<string, number[]> = { Resize: [1, 2], Upsample: [1] };
/** Producers at which the float32-only walk stops: their outputs' type does not come from their inputs. */
const TYPE_SOURCES = new Set(['Cast', 'Shape', 'Size', 'Constant', 'ConstantOfShape']);

/**
 * Converts `model` in place (see the module comment); `modelPath` names it in errors. Weights in
 * external data (models over 2 GB) are retyped here and returned as rewrites, which
 * `writeEditedModel` applies while it writes the converted model's data file.
 */
export function convertToFloat16(model: ModelProto, modelPath: string): ExternalRewrites {
  const g = model.graph as GraphProto | null;
  if (!g) throw new MedprobeError(`${modelPath} has no graph`, { file: modelPath, hint: 'it is not an ONNX model file; re-download or re-export it' });
  if (g.node.some((nd) => (nd.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length)))) {
    throw new MedprobeError(`--precision fp16: ${modelPath} has control-flow subgraphs (If/Loop/Scan), which medprobe's fp16 conversion does not rewrite`, {
      file: modelPath,
      hint: 'export the model in fp16 yourself (e.g. model.half() before torch.onnx.export) and give that file, or run at fp32',
    });
  }
  const producers = new Map<string, NodeProto>();
  for (const nd of g.node) for (const o of nd.output ?? []) if (o) producers.set(o, nd);
  const keep32 = float32Only(g, producers);

  const rewrites: ExternalRewrites = new Map();
  for (const t of g.initializer) {
    if (t.dataType !== FLOAT || keep32.has(t.name ?? '')) continue;
    if (t.externalData?.some((e) => e.key === 'location')) {
      t.dataType = FLOAT16;
      rewrites.set(t.name ?? '', (bytes) => {
        const copy = new Uint8Array(bytes); // aligned for the Float32Array view
        return new Uint8Array(float32ToFloat16Bits(new Float32Array(copy.buffer, 0, copy.length / 4)).buffer);
      });
    } else {
      toHalfTensor(t);
    }
  }
  for (const nd of g.node) {
    const out = nd.output?.[0] ?? '';
    if (keep32.has(out)) continue;
    if (nd.opType === 'Cast') {
      const to = nd.attribute!.find((a) => a.name === 'to')!;
      if (Number(to.i) === FLOAT) to.i = FLOAT16;
    } else if (nd.opType === 'Constant') {
      nd.attribute = nd.attribute!.map((a) => {
        if (a.name === 'value' && a.t?.dataType === FLOAT) toHalfTensor(a.t);
        else if (a.name === 'value_float') return attr.tensor('value', halfTensor('', [], [a.f ?? 0]));
        else if (a.name === 'value_floats') return attr.tensor('value', halfTensor('', [a.floats!.length], a.floats!));
        return a;
      });
    } else if (nd.opType === 'ConstantOfShape') {
      const value = nd.attribute?.find((a) => a.name === 'value');
      // Without `value` ConstantOfShape makes float32 zeros.
      if (!value) nd.attribute = [...(nd.attribute ?? []), attr.tensor('value', halfTensor('', [1], [0]))];
      else if (value.t?.dataType === FLOAT) toHalfTensor(value.t);
    }
  }

  // float32 in and out: a Cast after each float input, a Cast before each float output.
  const rename = (from: string, to: string, nodes: NodeProto[]): void => {
    for (const nd of nodes) nd.input = nd.input!.map((i) => (i === from ? to : i));
  };
  const head: NodeProto[] = [];
  for (const input of g.input) {
    if (input.type?.tensorType?.elemType !== FLOAT || g.initializer.some((t) => t.name === input.name)) continue;
    const half = `${input.name}__medprobe_fp16`;
    rename(input.name!, half, g.node);
    head.push(node('Cast', [input.name!], [half], [attr.int('to', FLOAT16)], `medprobe_fp16_in_${input.name}`));
  }
  const tail: NodeProto[] = [];
  for (const output of g.output) {
    if (output.type?.tensorType?.elemType !== FLOAT) continue;
    const name = output.name!;
    const producer = producers.get(name);
    if (!producer || keep32.has(name)) continue;
    const half = `${name}__medprobe_fp16`;
    producer.output = producer.output!.map((o) => (o === name ? half : o));
    rename(name, half, g.node);
    tail.push(node('Cast', [half], [name], [attr.int('to', FLOAT)], `medprobe_fp16_out_${name}`));
  }
  g.node = [...head, ...g.node, ...tail];
  // Intermediate type annotations are float32 ones now wrong; ONNX Runtime infers them again.
  g.valueInfo = [];
  return rewrites;
}

/**
 * Tensors that must stay float32: the inputs of FLOAT32_INPUTS slots and what computes them
 * (the shape arithmetic of a traced position-embedding interpolation), up to the Casts, Shapes
 * and Constants it starts from. Rounding Resize scales to fp16 would change output sizes.
 */
function float32Only(g: GraphProto, producers: Map<string, NodeProto>): Set<string> {
  const keep = new Set<string>();
  const stack: string[] = [];
  for (const nd of g.node) for (const i of FLOAT32_INPUTS[nd.opType ?? ''] ?? []) if (nd.input?.[i]) stack.push(nd.input[i]);
  while (stack.length) {
    const t = stack.pop()!;
    if (keep.has(t)) continue;
    keep.add(t);
    const p = producers.get(t);
    if (!p || TYPE_SOURCES.has(p.opType ?? '')) continue;
    stack.push(...(p.input ?? []).filter(Boolean));
  }
  return keep;
}

function toHalfTensor(t: TensorProto): void {
  const bits = float32ToFloat16Bits(floatValues(t));
  t.dataType = FLOAT16;
  t.floatData = [];
  t.rawData = new Uint8Array(bits.buffer);
}

function halfTensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  return { name, dims, dataType: FLOAT16, rawData: new Uint8Array(float32ToFloat16Bits(Float32Array.from(values)).buffer) };
}

/**
 * IEEE 754 binary16 bits of float32 values, rounded to nearest even, as ONNX Runtime's Cast does
 * (its test checks this bit for bit). Hand-written because Node 20 has no Float16Array.
 */
export function float32ToFloat16Bits(x: Float32Array): Uint16Array {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < u.length; i++) {
    const f = u[i];
    const sign = (f >>> 16) & 0x8000;
    const exp = (f >>> 23) & 0xff;
    const mant = f & 0x7fffff;
    let h: number;
    if (exp === 0xff) {
      h = sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // Inf, or NaN kept NaN
    } else {
      const e = exp - 127 + 15;
      if (e >= 0x1f) {
        h = sign | 0x7c00; // overflow → Inf
      } else if (e <= 0) {
        if (e < -10) {
          h = sign; // underflow → ±0
        } else {
          // Subnormal half: shift the implicit-1 mantissa into place, round to nearest even.
          const m = mant | 0x800000;
          const shift = 14 - e;
          let v = m >>> shift;
          const rem = m & ((1 << shift) - 1);
          const halfway = 1 << (shift - 1);
          if (rem > halfway || (rem === halfway && v & 1)) v++;
          h = sign | v;
        }
      } else {
        let v = (e << 10) | (mant >>> 13);
        const rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem === 0x1000 && v & 1)) v++; // may carry into the exponent: correct, up to Inf
        h = sign | v;
      }
    }
    out[i] = h;
  }
  return out;
}

/** The fp16 twin of a model file, cached in `<cacheDir>/models/edited` by the model's fingerprint. */
export function float16Model(modelPath: string, sha256: string, cacheDir: string): Promise<string> {
  return editedTwin(modelPath, path.join(cacheDir, 'models', 'edited'), `${sha256}-fp16`, (model) => convertToFloat16(model, modelPath));
}
