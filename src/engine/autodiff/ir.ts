import { attribute, type AttrValue } from '../graph.js';
import { MedprobeError } from '../../util/errors.js';
import { FLOAT, INT64, decodeModel, onnx, opsetOf, toNumber, type AttributeProto, type NodeProto, type TensorProto } from '../../models/onnx/proto.js';

/**
 * The graph as the autodiff transforms see it: the model's own NodeProtos (attributes read
 * through `attrOf`), its initializers, and its float/int inputs. Transforms edit this in place
 * and the training graph is emitted from it by `emit.ts`.
 */
export type ElemT = 'float' | 'int64' | 'int32' | 'bool' | 'double';

/** Static facts about one tensor: its dims, type and, when small and known before running, its values. */
export interface Info {
  dims: number[];
  type: ElemT;
  value?: ArrayLike<number>;
}

export interface GraphInput {
  name: string;
  type: ElemT;
  /** Fixed dims; a string is a symbolic dim the caller must fix. */
  dims: (number | string)[];
}

export interface Graph {
  nodes: NodeProto[];
  inits: Map<string, TensorProto>;
  inputs: GraphInput[];
  outputs: string[];
  opset: number;
}

const TYPE_OF: Record<number, ElemT> = { 1: 'float', 7: 'int64', 6: 'int32', 9: 'bool', 11: 'double' };
export const ELEM_CODE: Record<ElemT, number> = { float: FLOAT, int64: INT64, int32: 6, bool: 9, double: 11 };

export function elemType(code: number | null | undefined, where: string): ElemT {
  const t = TYPE_OF[code ?? 0];
  if (!t) throw new MedprobeError(`${where}: tensor element type ${code} is not supported by the autodiff (float, int64, int32, bool, double are)`, {
      hint: 'fine-tune a float32 export of the model; fp16 and quantised graphs cannot be trained',
    });
  return t;
}

export function loadGraph(bytes: Uint8Array): Graph {
  const model = decodeModel(bytes);
  const opset = opsetOf(model);
  if (opset < 13) {
    throw new MedprobeError(`the model's opset is ${opset}; fine-tuning needs opset 13 or newer`, { hint: 're-export it with torch.onnx.export(..., opset_version=17)' });
  }
  const g = model.graph!;
  const inits = new Map<string, TensorProto>();
  for (const t of g.initializer ?? []) {
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
      throw new MedprobeError(`initializer ${t.name} is stored as external data`, { hint: 'save the model with its weights inside the .onnx file (onnx.save(..., save_as_external_data=False))' });
    }
    inits.set(t.name!, t);
  }
  const inputs: GraphInput[] = (g.input ?? [])
    .filter((vi) => !inits.has(vi.name!))
    .map((vi) => ({
      name: vi.name!,
      type: elemType(vi.type?.tensorType?.elemType, `input ${vi.name}`),
      dims: (vi.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? toNumber(d.dimValue) : '?')),
    }));
  return { nodes: [...(g.node ?? [])], inits, inputs, outputs: (g.output ?? []).map((o) => o.name!), opset };
}

/** Initializer values as plain numbers (int64 through Number: shapes and indices, never huge). */
export function tensorValues(t: TensorProto): Float32Array | number[] {
  const type = elemType(t.dataType, `initializer ${t.name}`);
  const raw = t.rawData && t.rawData.length ? t.rawData : undefined;
  if (raw) {
    const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    if (type === 'float') return new Float32Array(buf);
    if (type === 'double') return Array.from(new Float64Array(buf));
    if (type === 'int64') return Array.from(new BigInt64Array(buf), Number);
    if (type === 'int32') return Array.from(new Int32Array(buf));
    return Array.from(new Uint8Array(buf));
  }
  if (type === 'float') return Float32Array.from(t.floatData ?? []);
  if (type === 'double') return Array.from(t.doubleData ?? []);
  if (type === 'int64') return (t.int64Data ?? []).map((v) => toNumber(v as number));
  return Array.from(t.int32Data ?? []);
}

export function tensorInfo(t: TensorProto): Info {
  return { dims: (t.dims ?? []).map((d) => toNumber(d as number)), type: elemType(t.dataType, `initializer ${t.name}`), value: tensorValues(t) };
}

export function makeTensor(name: string, type: ElemT, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  let bytes: Uint8Array;
  if (type === 'float') bytes = new Uint8Array(Float32Array.from(values).buffer);
  else if (type === 'double') bytes = new Uint8Array(Float64Array.from(values).buffer);
  else if (type === 'int64') bytes = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v)))).buffer);
  else if (type === 'int32') bytes = new Uint8Array(Int32Array.from(values).buffer);
  else bytes = Uint8Array.from(values);
  return { name, dims: [...dims], dataType: ELEM_CODE[type], rawData: bytes };
}

function attrValue(a: AttributeProto): unknown {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT:
      return toNumber(a.i as number);
    case T.FLOAT:
      return a.f ?? 0;
    case T.INTS:
      return (a.ints ?? []).map((v) => toNumber(v as number));
    case T.FLOATS:
      return [...(a.floats ?? [])];
    case T.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.TENSOR:
      return a.t;
    default:
      return undefined;
  }
}

export function attrOf<T>(node: NodeProto, name: string, fallback: T): T;
export function attrOf<T>(node: NodeProto, name: string): T | undefined;
export function attrOf<T>(node: NodeProto, name: string, fallback?: T): T | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a ? (attrValue(a) as T) : fallback;
}

export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function nodeLabel(n: NodeProto): string {
  return `${n.opType} node '${n.name || n.output?.[0]}'`;
}

/** A new node for a graph edit (LoRA adapters, heads, losses); attributes as in GraphBuilder. */
export function irNode(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}): NodeProto {
  return { opType, input: [...inputs], output: [...outputs], name: `medprobe/${outputs[0]}`, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) };
}
