import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * A tiny builder for ONNX graphs assembled at run time (the decoder training steps).
 * Node outputs get fresh names, so graph code reads like straight-line math:
 * `const y = g.op('Relu', [x])`.
 */
export type AttrValue = number | number[] | string | { float: number };

export interface GraphInput {
  name: string;
  /** Concrete dims; a string marks a symbolic dim. */
  shape: (number | string)[];
  type?: 'float' | 'int64';
}

const ELEM = { float: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64 } as const;

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();

  input(name: string, shape: (number | string)[], type: 'float' | 'int64' = 'float'): string {
    this.inputs.push(valueInfo(name, shape, type));
    return name;
  }

  output(name: string, value: string): void {
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `out_${name}` });
    this.outputs.push(valueInfo(name, [], 'float'));
  }

  /** One node with a single output. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.opN(opType, inputs, 1, attrs)[0];
  }

  opN(opType: string, inputs: string[], nOut: number, attrs: Record<string, AttrValue> = {}): string[] {
    const id = this.counter++;
    const outs = Array.from({ length: nOut }, (_, k) => `${opType.toLowerCase()}_${id}_${k}`);
    this.nodes.push({ opType, input: inputs, output: outs, name: `${opType}_${id}`, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) });
    return outs;
  }

  /** A float32 constant (deduplicated by value for small ones). */
  constFloat(values: ArrayLike<number>, dims: number[]): string {
    const key = values.length <= 16 ? `f:${dims.join('x')}:${Array.from(values).join(',')}` : '';
    if (key && this.constCache.has(key)) return this.constCache.get(key)!;
    const name = `const_${this.counter++}`;
    this.inits.push({ name, dims, dataType: ELEM.float, rawData: new Uint8Array(Float32Array.from(values).buffer) });
    if (key) this.constCache.set(key, name);
    return name;
  }

  constInt64(values: number[]): string {
    const key = `i:${values.join(',')}`;
    if (this.constCache.has(key)) return this.constCache.get(key)!;
    const name = `const_${this.counter++}`;
    this.inits.push({ name, dims: [values.length], dataType: ELEM.int64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
    this.constCache.set(key, name);
    return name;
  }

  scalar(v: number): string {
    return this.constFloat([v], []);
  }

  toBytes(name = 'medprobe_seg', opset = 15): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'medprobe',
      opsetImport: [{ domain: '', version: opset }],
      graph: { name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, shape: (number | string)[], type: 'float' | 'int64'): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: shape.length ? { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  };
}

function attr(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.FLOAT, f: v.float };
}
