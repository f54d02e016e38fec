import onnxProto from 'onnx-proto';

/**
 * Thin helpers over the generated ONNX protobuf classes (onnx-proto, ONNX 1.10 schema):
 * decode/encode models and build nodes, tensors and value infos. Used by the fixture
 * generators and by the graph editor; nothing here runs a model.
 */
export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.GraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

/** int64 fields decode as Long objects (protobufjs with `long` installed) or numbers. */
export function toNumber(x: number | { toNumber(): number } | null | undefined): number {
  if (x === null || x === undefined) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function opsetOf(model: ModelProto): number {
  const def = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return toNumber(def?.version as number | undefined);
}

export function floatTensor(name: string, dims: readonly number[], data: ArrayLike<number>): TensorProto {
  const f = Float32Array.from(data);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (f.length !== expected) throw new RangeError(`tensor ${name}: ${f.length} values for dims [${dims.join(',')}]`);
  return { name, dims: [...dims], dataType: FLOAT, rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) };
}

/** A float tensor's values, whichever field holds them (copied: rawData may be an unaligned view into the decoded file). */
export function floatValues(t: TensorProto): Float32Array {
  if (t.rawData && t.rawData.length) {
    const raw = new Uint8Array(t.rawData.length);
    raw.set(t.rawData);
    return new Float32Array(raw.buffer);
  }
  return Float32Array.from(t.floatData ?? []);
}

export function int64Tensor(name: string, dims: readonly number[], data: readonly number[]): TensorProto {
  const b = BigInt64Array.from(data.map((v) => BigInt(v)));
  return { name, dims: [...dims], dataType: INT64, rawData: new Uint8Array(b.buffer) };
}

export const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i }),
  float: (name: string, f: number): AttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f }),
  ints: (name: string, ints: readonly number[]): AttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...ints] }),
  string: (name: string, s: string): AttributeProto => ({
    name,
    type: onnx.AttributeProto.AttributeType.STRING,
    s: new TextEncoder().encode(s),
  }),
  tensor: (name: string, t: TensorProto): AttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.TENSOR, t }),
};

export function node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: AttributeProto[] = [], name?: string): NodeProto {
  return { opType, input: [...inputs], output: [...outputs], attribute: attributes, name: name ?? `${opType}_${outputs[0]}` };
}

/** A tensor value info; string dims are symbolic (dynamic) axes. */
export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface GraphSpec {
  name: string;
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers: TensorProto[];
  opset: number;
  producer?: string;
}

export function makeModel(spec: GraphSpec): Uint8Array {
  return encodeModel({
    irVersion: 8,
    producerName: spec.producer ?? 'medprobe',
    opsetImport: [{ domain: '', version: spec.opset }],
    graph: {
      name: spec.name,
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers,
    },
  });
}
