import { promises as fs } from 'node:fs';
import path from 'node:path';
import h5wasm from 'h5wasm/node';

/**
 * Write a real MATLAB v7.3 .mat file: HDF5 written with h5wasm, behind MATLAB's 512-byte text
 * header (h5wasm cannot set a userblock, so the header is prepended; HDF5 finds its superblock at
 * offset 512 as it does in MATLAB's own files). Arrays are given as MATLAB sees them (dims
 * rows × cols, row-major data) and stored column-major with HDF5 dims reversed, as MATLAB does.
 */
export interface MatVar {
  dims: number[];
  data: Int16Array | Uint8Array | Float64Array | Uint16Array;
  matlabClass: 'int16' | 'double' | 'char' | 'logical' | 'uint8';
}

export function matVar(dims: number[], data: MatVar['data'], matlabClass: MatVar['matlabClass']): MatVar {
  return { dims, data, matlabClass };
}

export const matText = (s: string): MatVar => matVar([1, s.length], Uint16Array.from(s, (c) => c.charCodeAt(0)), 'char');
export const matDouble = (v: number): MatVar => matVar([1, 1], Float64Array.of(v), 'double');

function toColumnMajor<T extends MatVar['data']>(data: T, rows: number, cols: number): T {
  const out = new (data.constructor as { new (n: number): T })(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

const DTYPE: Record<string, string> = { Int16Array: '<h', Uint8Array: '<B', Float64Array: '<d', Uint16Array: '<H' };

/** `vars` maps 'group/name' (or 'name') to a 2D MATLAB array. */
export async function writeMatV73(file: string, vars: Record<string, MatVar>): Promise<void> {
  await h5wasm.ready;
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.h5.tmp`;
  const f = new h5wasm.File(tmp, 'w');
  try {
    for (const [name, v] of Object.entries(vars)) {
      const parts = name.split('/');
      let g: InstanceType<typeof h5wasm.Group> = f;
      for (const p of parts.slice(0, -1)) {
        const existing = g.get(p);
        if (existing instanceof h5wasm.Group) g = existing;
        else {
          g = g.create_group(p);
          g.create_attribute('MATLAB_class', 'struct');
        }
      }
      const [rows, cols] = v.dims;
      const d = g.create_dataset({ name: parts[parts.length - 1], data: toColumnMajor(v.data, rows, cols), shape: [cols, rows], dtype: DTYPE[v.data.constructor.name] });
      d.create_attribute('MATLAB_class', v.matlabClass);
    }
  } finally {
    f.close();
  }
  const header = Buffer.alloc(512, 0x20);
  header.write('MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Sat Dec  5 08:00:00 2026 HDF5 schema 1.00 .', 0, 'latin1');
  header.fill(0, 116, 124);
  header.writeUInt16LE(0x0200, 124);
  header.write('IM', 126, 'latin1');
  const body = await fs.readFile(tmp);
  await fs.writeFile(file, Buffer.concat([header, body]));
  await fs.rm(tmp, { force: true });
}
