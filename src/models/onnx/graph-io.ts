import { promises as fs } from 'node:fs';
import { MedprobeError } from '../../util/errors.js';
import { cannotRead } from '../../util/fs-errors.js';
import { onnx } from './proto.js';

/** Names of a graph's inputs (minus initializers) and outputs. */
export interface GraphIO {
  inputs: string[];
  outputs: string[];
}

/**
 * Reads only the graph's input/output names from an ONNX file, skipping the weights without
 * decoding them (ModelProto.graph = field 7; GraphProto.input = 11, output = 12,
 * initializer = 5). Cheap even for large models; used to write cards without starting ORT.
 */
export async function readGraphIO(file: string): Promise<GraphIO> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw cannotRead(file, e, 'ONNX model', 'download the ONNX export into the model folder (medprobe models pull) or point the card at the .onnx file');
  }
  try {
    return graphIOFromBytes(bytes);
  } catch (e) {
    throw new MedprobeError(`${file} is not a readable ONNX model: ${(e as Error).message.split('\n')[0]}`, {
      file,
      hint: 'the file is truncated or corrupt; re-download or re-export it',
    });
  }
}

export function graphIOFromBytes(bytes: Uint8Array): GraphIO {
  const io: GraphIO = { inputs: [], outputs: [] };
  let sawGraph = false;
  const initializers = new Set<string>();
  forEachField(bytes, 0, bytes.length, (field, wire, start, end) => {
    if (field !== 7 || wire !== 2) return;
    sawGraph = true;
    forEachField(bytes, start, end, (gf, gw, s, e) => {
      if (gw !== 2) return;
      if (gf === 11 || gf === 12) {
        const vi = onnx.ValueInfoProto.decode(bytes.subarray(s, e));
        (gf === 11 ? io.inputs : io.outputs).push(vi.name);
      } else if (gf === 5) {
        // Only the name (TensorProto field 8) is read; the data stays untouched.
        forEachField(bytes, s, e, (tf, tw, ts, te) => {
          if (tf === 8 && tw === 2) initializers.add(new TextDecoder().decode(bytes.subarray(ts, te)));
        });
      }
    });
  });
  if (!sawGraph) throw new Error('no graph in file');
  io.inputs = io.inputs.filter((n) => !initializers.has(n));
  return io;
}

/** Walks protobuf fields in bytes[start,end); length-delimited fields get their payload range. */
export function forEachField(bytes: Uint8Array, start: number, end: number, fn: (field: number, wire: number, s: number, e: number) => void): void {
  let pos = start;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (pos >= end) throw new Error('truncated varint');
      const b = bytes[pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  while (pos < end) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      varint();
      fn(field, wire, pos, pos);
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      const len = varint();
      const s = pos;
      pos += len;
      if (pos > end) throw new Error('truncated field');
      fn(field, wire, s, pos);
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
    if (pos > end) throw new Error('truncated field');
  }
}
