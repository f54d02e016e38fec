import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { computeKey, defaultCompute, openSession, type Compute, type SessionUse } from '../models/onnx/session.js';

const { onnx } = onnxProto;

/**
 * A tiny ONNX graph builder. Protocols need a handful of fixed graphs (similarity + top-k,
 * a multi-head SGD step, a head evaluation); building them at run time from a few lines of
 * TypeScript keeps the heavy math in ONNX Runtime without shipping .onnx files.
 */
export type ElemType = 'float' | 'int64';
/** A dimension: a fixed size, or a symbolic name that ORT resolves from the fed tensor. */
export type Dim = number | string;
/** Integers become INT attributes; wrap a value as `{ f: 1 }` to force a FLOAT attribute. */
export type AttrValue = number | number[] | string | { f: number };

const ELEM: Record<ElemType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

/** Opset 17: Softmax over one axis, ReduceSum with axes as an input, LayerNorm-era ops. */
export const OPSET = 17;

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

export function attribute(name: string, v: AttrValue) {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: A.INTS, ints: v });
  if (typeof v === 'object') return onnx.AttributeProto.create({ name, type: A.FLOAT, f: v.f });
  if (Number.isInteger(v) && !Object.is(v, -0)) return onnx.AttributeProto.create({ name, type: A.INT, i: v });
  return onnx.AttributeProto.create({ name, type: A.FLOAT, f: v });
}

export class GraphBuilder {
  private readonly nodes: ReturnType<typeof onnx.NodeProto.create>[] = [];
  private readonly inits: ReturnType<typeof onnx.TensorProto.create>[] = [];
  private readonly ins: ReturnType<typeof onnx.ValueInfoProto.create>[] = [];
  private readonly outs: ReturnType<typeof onnx.ValueInfoProto.create>[] = [];
  private counter = 0;

  /** `prefix` keeps fresh names (`c0`, `t1`, …) apart from an imported graph's own names. */
  constructor(
    private readonly name: string,
    private readonly prefix = '',
  ) {}

  /**
   * Adds an existing node as it is (graph transforms that copy a model and extend it); the
   * object is kept, so a transform may still add outputs to it before `toBytes`.
   */
  addNode(node: onnxProto.onnx.INodeProto): void {
    this.nodes.push(node as ReturnType<typeof onnx.NodeProto.create>);
  }

  /** Adds an existing initializer verbatim (raw data stays as it is). */
  addInitializer(tensor: onnxProto.onnx.ITensorProto): void {
    this.inits.push(onnx.TensorProto.create(tensor));
  }

  input(name: string, dims: readonly Dim[], type: ElemType = 'float'): string {
    this.ins.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, dims: readonly Dim[], type: ElemType = 'float'): string {
    this.outs.push(valueInfo(name, type, dims));
    return name;
  }

  /** A constant baked into the graph. */
  constFloat(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = `${this.prefix}c${this.counter++}`;
    this.inits.push(onnx.TensorProto.create({ name, dataType: ELEM.float, dims: [...dims], floatData: [...values] }));
    return name;
  }

  constInt64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = `${this.prefix}c${this.counter++}`;
    this.inits.push(onnx.TensorProto.create({ name, dataType: ELEM.int64, dims: [...dims], int64Data: [...values] }));
    return name;
  }

  /**
   * Adds one node; returns its output names. `outputs` are explicit names (to match graph
   * outputs) or a count of fresh intermediate names.
   */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs: readonly string[] | number = 1): string[] {
    const outNames = typeof outputs === 'number' ? Array.from({ length: outputs }, () => `${this.prefix}t${this.counter++}`) : [...outputs];
    const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    this.nodes.push(onnx.NodeProto.create({ opType, input: [...inputs], output: outNames, name: `${this.prefix}n${this.nodes.length}_${opType}`, attribute: attribute_ }));
    return outNames;
  }

  /** Single-output convenience. */
  op1(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.op(opType, inputs, attrs, output ? [output] : 1)[0];
  }

  toBytes(opset = OPSET): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'medprobe',
      opsetImport: [{ domain: '', version: opset }],
      graph: onnx.GraphProto.create({ name: this.name, node: this.nodes, initializer: this.inits, input: this.ins, output: this.outs }),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** ORT session for an engine graph, on the given compute or the process's (`setDefaultCompute`). */
export async function createEngineSession(bytes: Uint8Array, compute?: Compute, use: SessionUse = 'inference'): Promise<ort.InferenceSession> {
  return openSession(bytes, compute ?? (await defaultCompute()), use);
}

const engineSessions = new Map<string, Promise<ort.InferenceSession>>();
/**
 * A fixed engine graph's session, built once per process and compute choice: `name` identifies
 * the graph (with whatever shapes it bakes in), `build` makes its bytes on first use.
 */
export async function engineSession(name: string, build: () => Uint8Array): Promise<ort.InferenceSession> {
  const compute = await defaultCompute();
  const key = `${name}@${computeKey(compute)}`;
  let s = engineSessions.get(key);
  if (!s) {
    s = createEngineSession(build(), compute);
    engineSessions.set(key, s);
    s.catch(() => engineSessions.delete(key));
  }
  return s;
}

export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

export function int64Tensor(values: readonly number[], dims: readonly number[] = [values.length]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values.map((v) => BigInt(v))), dims);
}

export { ort };
