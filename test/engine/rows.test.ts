import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { matrixRows, npyRows, stackedRows } from '../../src/engine/rows.js';
import { encodeNpy } from '../../src/util/npy.js';
import { MedprobeError } from '../../src/util/errors.js';

test('npy-backed, in-memory and stacked sources return the same rows', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-rows-'));
  try {
    const data = Float32Array.from({ length: 7 * 3 }, (_, i) => i * 0.5 - 3);
    const file = path.join(dir, 'f.npy');
    await writeFile(file, encodeNpy(data, [7, 3]));
    const disk = npyRows(file);
    const mem = matrixRows({ rows: 7, cols: 3, data });
    const idx = Int32Array.from([6, 0, 1, 2, 4]);
    const a = new Float32Array(15);
    const b = new Float32Array(15);
    disk.gather(idx, 5, a);
    mem.gather(idx, 5, b);
    assert.deepEqual(a, b);
    assert.deepEqual(Array.from(a.subarray(0, 3)), [6, 6.5, 7]);
    assert.deepEqual(disk.block(2, 5, new Float32Array(9)), data.subarray(6, 15));
    // Stacked: rows 0..3 from the first part, 4..6 from the second; a block across the seam.
    const st = stackedRows(matrixRows({ rows: 4, cols: 3, data: data.subarray(0, 12) }), npyRows(file));
    assert.equal(st.rows, 11);
    assert.deepEqual(st.block(3, 6, new Float32Array(9)), Float32Array.from([...data.subarray(9, 12), ...data.subarray(0, 6)]));
    const c = new Float32Array(6);
    st.gather(Int32Array.from([10, 1]), 2, c);
    assert.deepEqual(c, Float32Array.from([...data.subarray(18, 21), ...data.subarray(3, 6)]));
    st.close?.();
    disk.close?.();
    await writeFile(path.join(dir, 'i.npy'), encodeNpy(new Int32Array(6), [2, 3]));
    assert.throws(() => npyRows(path.join(dir, 'i.npy')), (e: unknown) => e instanceof MedprobeError && /expected a 2-D C-order float32/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
