import path from 'node:path';
import { MedprobeError } from '../../util/errors.js';
import { editedTwin, externalDataLocations } from './external-data.js';
import { FLOAT, attr, floatTensor, floatValues, node, onnx, opsetOf, toNumber, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from './proto.js';

/**
 * Dynamic int8 models, as an explicit option (`--precision int8`, never a default): what
 * onnxruntime.quantization's `quantize_dynamic(per_channel=True)` does, done here because
 * medprobe has no Python. Each MatMul, Gemm and Conv whose weight is a constant gets
 *   weights: quantised offline, symmetric per output channel, stored as uint8 with zero point 128;
 *   activations: DynamicQuantizeLinear (uint8, per tensor, range taken from each batch);
 *   MatMulInteger / ConvInteger (int32), Cast to float, × (activation scale · channel scales), + bias.
 * ONNX Runtime's CPU optimiser fuses the MatMul chains into its DynamicQuantizeMatMul kernel.
 *
 * Why uint8 weights (u8u8) and not int8 (u8s8): x86 u8s8 kernels without VNNI multiply-add pairs
 * into int16 with saturation, so the same model would give other features on an older CPU; u8u8
 * never saturates, so int8 features are the same on every CPU. ORT's ConvInteger takes uint8
 * weights only, so one scheme covers both.
 *
 * Activations are quantised per batch tensor: a feature can depend (slightly) on which images
 * share its batch. That is the known cost of dynamic quantisation; docs/results/performance.md
 * records its accuracy cost on a real dataset.
 */
const UINT8 = onnx.TensorProto.DataType.UINT8;
/** Weights use levels 1..255 around 128 (±127 steps), symmetric, so the zero point is one scalar. */
const W_ZERO = 128;
const W_LEVELS = 127;

export interface Int8Summary {
  matmuls: number;
  gemms: number;
  convs: number;
}

/** Converts `model` in place (see the module comment); `modelPath` names it in errors. */
export function quantizeDynamicInt8(model: ModelProto, modelPath: string): Int8Summary {
  const g = model.graph as GraphProto | null;
  if (!g) throw new MedprobeError(`${modelPath} has no graph`, { file: modelPath, hint: 'it is not an ONNX model file; re-download or re-export it' });
  const refuse = (why: string, hint: string): MedprobeError => new MedprobeError(`--precision int8: ${modelPath} ${why}`, { file: modelPath, hint });
  if (g.node.some((nd) => (nd.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length)))) {
    throw refuse('has control-flow subgraphs (If/Loop/Scan), which medprobe\'s int8 conversion does not rewrite', 'quantise the model yourself (onnxruntime.quantization.quantize_dynamic) and give that file, or run at fp32');
  }
  if (externalDataLocations(model).length) {
    throw refuse('keeps its weights in external data, which medprobe\'s int8 conversion does not rewrite', 'quantise the model yourself (onnxruntime.quantization.quantize_dynamic) and give that file, or run at fp32');
  }
  if (opsetOf(model) < 11) throw refuse(`is opset ${opsetOf(model)}; DynamicQuantizeLinear needs opset ≥ 11`, 're-export the model at opset 11 or later, or run at fp32');

  const inits = new Map<string, TensorProto>();
  for (const t of g.initializer) if (t.name) inits.set(t.name, t);
  const graphInputs = new Set(g.input.map((i) => i.name));
  const constWeight = (name: string | undefined, rank: number): TensorProto | undefined => {
    const t = name ? inits.get(name) : undefined;
    // An initializer that is also a graph input can be overridden by a feed: not a constant.
    return t && t.dataType === FLOAT && t.dims?.length === rank && !graphInputs.has(name!) ? t : undefined;
  };

  const added: TensorProto[] = [];
  const out: NodeProto[] = [];
  const summary: Int8Summary = { matmuls: 0, gemms: 0, convs: 0 };
  /** One DynamicQuantizeLinear per activation tensor, shared by every consumer (q, k, v of one LayerNorm). */
  const quantised = new Map<string, { q: string; scale: string; zero: string }>();
  const quantise = (x: string): { q: string; scale: string; zero: string } => {
    let r = quantised.get(x);
    if (!r) {
      r = { q: `${x}__medprobe_q`, scale: `${x}__medprobe_qscale`, zero: `${x}__medprobe_qzero` };
      out.push(node('DynamicQuantizeLinear', [x], [r.q, r.scale, r.zero], [], `medprobe_dql_${x}`));
      quantised.set(x, r);
    }
    return r;
  };
  const wZero = 'medprobe_int8_weight_zero';
  added.push({ name: wZero, dims: [], dataType: UINT8, rawData: Uint8Array.of(W_ZERO) });
  let k = 0;
  /** Integer product → float: Cast, × (activation scale · per-channel weight scales), + bias. */
  const rescale = (y32: string, scaleOf: string, wScales: string, bias: string | undefined, output: string, id: string): void => {
    const yf = `${id}__f`;
    const scale = `${id}__scale`;
    out.push(node('Cast', [y32], [yf], [attr.int('to', FLOAT)], `${id}_cast`));
    out.push(node('Mul', [scaleOf, wScales], [scale], [], `${id}_scale`));
    if (!bias) {
      out.push(node('Mul', [yf, scale], [output], [], `${id}_rescale`));
      return;
    }
    out.push(node('Mul', [yf, scale], [`${id}__scaled`], [], `${id}_rescale`));
    out.push(node('Add', [`${id}__scaled`, bias], [output], [], `${id}_bias`));
  };

  for (const nd of g.node) {
    const op = nd.opType ?? '';
    const id = `medprobe_int8_${k}`;
    if (op === 'MatMul' && constWeight(nd.input![1], 2)) {
      const w = constWeight(nd.input![1], 2)!;
      const [K, N] = w.dims!.map((d) => toNumber(d));
      const { q, s } = quantiseColumns(floatValues(w), K, N);
      added.push(uint8Tensor(`${id}__w`, [K, N], q), floatTensor(`${id}__ws`, [N], s));
      const a = quantise(nd.input![0]);
      out.push(node('MatMulInteger', [a.q, `${id}__w`, a.zero, wZero], [`${id}__y32`], [], `${id}_matmul`));
      rescale(`${id}__y32`, a.scale, `${id}__ws`, undefined, nd.output![0], id);
      summary.matmuls++;
      k++;
    } else if (op === 'Gemm' && constWeight(nd.input![1], 2) && plainGemm(nd)) {
      const w = constWeight(nd.input![1], 2)!;
      const transB = intAttr(nd, 'transB', 0) === 1;
      const [r, c] = w.dims!.map((d) => toNumber(d));
      const values = floatValues(w);
      const kn = transB ? transpose(values, r, c) : values;
      const [K, N] = transB ? [c, r] : [r, c];
      const { q, s } = quantiseColumns(kn, K, N);
      added.push(uint8Tensor(`${id}__w`, [K, N], q), floatTensor(`${id}__ws`, [N], s));
      const a = quantise(nd.input![0]);
      out.push(node('MatMulInteger', [a.q, `${id}__w`, a.zero, wZero], [`${id}__y32`], [], `${id}_matmul`));
      rescale(`${id}__y32`, a.scale, `${id}__ws`, nd.input![2] || undefined, nd.output![0], id);
      summary.gemms++;
      k++;
    } else if (op === 'Conv' && constWeight(nd.input![1], 4)) {
      const w = constWeight(nd.input![1], 4)!;
      const dims = w.dims!.map((d) => toNumber(d));
      const M = dims[0];
      const per = dims[1] * dims[2] * dims[3];
      const { q, s } = quantiseRows(floatValues(w), M, per);
      added.push(uint8Tensor(`${id}__w`, dims, q), floatTensor(`${id}__ws`, [1, M, 1, 1], s));
      let bias: string | undefined;
      if (nd.input![2]) {
        // Conv's bias is [M]; after the integer conv it is added to an NCHW map.
        const b = inits.get(nd.input![2]);
        if (!b || b.dataType !== FLOAT) {
          out.push(nd); // a computed bias: leave this Conv at fp32
          continue;
        }
        bias = `${id}__b`;
        added.push(floatTensor(bias, [1, M, 1, 1], floatValues(b)));
      }
      const a = quantise(nd.input![0]);
      out.push(node('ConvInteger', [a.q, `${id}__w`, a.zero, wZero], [`${id}__y32`], nd.attribute ?? [], `${id}_conv`));
      rescale(`${id}__y32`, a.scale, `${id}__ws`, bias, nd.output![0], id);
      summary.convs++;
      k++;
    } else {
      out.push(nd);
    }
  }
  if (k === 0) throw refuse('has no MatMul, Gemm or Conv with constant weights to quantise', 'int8 applies to models whose weights are initializers; run at fp32');
  g.node = out;
  // Float weights no node reads any more are dropped (the model shrinks to about a quarter).
  const used = new Set(out.flatMap((nd) => nd.input ?? []));
  g.initializer = [...g.initializer.filter((t) => used.has(t.name ?? '') || graphInputs.has(t.name ?? '')), ...added];
  return summary;
}

/** Gemm(A, B, C) with alpha = beta = 1 and A not transposed: MatMul + bias. */
function plainGemm(nd: NodeProto): boolean {
  const f = (name: string): number => nd.attribute?.find((a) => a.name === name)?.f ?? 1;
  return f('alpha') === 1 && f('beta') === 1 && intAttr(nd, 'transA', 0) === 0;
}

function intAttr(nd: NodeProto, name: string, fallback: number): number {
  const a = nd.attribute?.find((x) => x.name === name);
  return a ? toNumber(a.i as number) : fallback;
}

/** Symmetric per-column quantisation of a row-major [K, N] matrix. */
export function quantiseColumns(w: Float32Array, K: number, N: number): { q: Uint8Array; s: Float32Array } {
  const s = new Float32Array(N);
  for (let i = 0; i < K; i++) for (let j = 0; j < N; j++) s[j] = Math.max(s[j], Math.abs(w[i * N + j]));
  for (let j = 0; j < N; j++) s[j] = s[j] > 0 ? s[j] / W_LEVELS : 1;
  const q = new Uint8Array(K * N);
  for (let i = 0; i < K; i++) for (let j = 0; j < N; j++) q[i * N + j] = W_ZERO + Math.round(w[i * N + j] / s[j]);
  return { q, s };
}

/** Symmetric per-row quantisation of a row-major [M, per] matrix (a Conv's output channels). */
function quantiseRows(w: Float32Array, M: number, per: number): { q: Uint8Array; s: Float32Array } {
  const t = quantiseColumns(transpose(w, M, per), per, M);
  return { q: transposeBytes(t.q, per, M), s: t.s };
}

function transpose(x: Float32Array, r: number, c: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) y[j * r + i] = x[i * c + j];
  return y;
}

function transposeBytes(x: Uint8Array, r: number, c: number): Uint8Array {
  const y = new Uint8Array(x.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) y[j * r + i] = x[i * c + j];
  return y;
}

function uint8Tensor(name: string, dims: number[], q: Uint8Array): TensorProto {
  return { name, dims, dataType: UINT8, rawData: q };
}

/** The int8 twin of a model file, cached in `<cacheDir>/models/edited` by the model's fingerprint. */
export function int8Model(modelPath: string, sha256: string, cacheDir: string): Promise<string> {
  return editedTwin(modelPath, path.join(cacheDir, 'models', 'edited'), `${sha256}-int8`, (model) => {
    quantizeDynamicInt8(model, modelPath);
  });
}
