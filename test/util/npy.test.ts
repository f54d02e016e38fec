import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodeNpy, floatToHalf, parseNpy, parseNpyHeader, readNpy, writeNpy } from '../../src/util/npy.js';
import { MedprobeError } from '../../src/util/errors.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** numpy's header: dict, spaces up to 127 bytes total, '\n' (all our fixtures fit in 128). */
function numpyHeaderV1(dict: string): string {
  const prefix = '934e554d5059' + '0100' + '7600'; // magic, v1.0, header length 118
  return prefix + toHex(new TextEncoder().encode(dict.padEnd(117, ' ') + '\n'));
}

// Produced once with numpy 2.4.6: `f = io.BytesIO(); np.save(f, np.array([0, 1, 254, 255], dtype='u1')); f.getvalue().hex()`
const NUMPY_U1 =
  '934e554d5059010076007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028342c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0001feff';
// numpy.lib.format.write_array(f, np.array([1, 2], dtype='<u2'), version=(3, 0)) and version=(2, 0)
const NUMPY_U2_V3 =
  '934e554d50590300740000007b276465736372273a20273c7532272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a01000200';
const NUMPY_U2_V2 = NUMPY_U2_V3.replace(/^934e554d50590300/, '934e554d50590200');

test('encodeNpy writes byte-identical files to numpy.save', () => {
  assert.equal(toHex(encodeNpy(Uint8Array.from([0, 1, 254, 255]), [4])), NUMPY_U1);
  // np.save(np.arange(6, dtype='<f4').reshape(2, 3) / 4): data 0, .25, .5, .75, 1, 1.25
  const f4 = encodeNpy(Float32Array.from([0, 0.25, 0.5, 0.75, 1, 1.25]), [2, 3]);
  assert.equal(
    toHex(f4),
    numpyHeaderV1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }") + '000000000000803e0000003f0000403f0000803f0000a03f',
  );
  // np.array([[-1, 2], [300, -32768]], dtype='<i2')
  assert.equal(
    toHex(encodeNpy(Int16Array.from([-1, 2, 300, -32768]), [2, 2])),
    numpyHeaderV1("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 2), }") + 'ffff02002c010080',
  );
  // 0-d: np.array(3.5, dtype='<f8')
  assert.equal(toHex(encodeNpy(Float64Array.from([3.5]), [])), numpyHeaderV1("{'descr': '<f8', 'fortran_order': False, 'shape': (), }") + '0000000000000c40');
});

test('float16 output matches numpy astype(float16) bit for bit', () => {
  // np.array([0, 1, -2.5, 65504, 1e-7], dtype='<f2') saved by numpy ends in these data bytes.
  const f2 = encodeNpy(Float32Array.from([0, 1, -2.5, 65504, 1e-7]), [5], { dtype: 'float16' });
  assert.equal(toHex(f2), numpyHeaderV1("{'descr': '<f2', 'fortran_order': False, 'shape': (5,), }") + '0000003c00c1ff7b0200');
  // np.array([...], dtype='<f4').astype('<f2').view('<u2'): ties to even, subnormals, overflow to inf, -0.
  const inputs = [1.0009765625, 1.00048828125, 1.00146484375, 6.1e-5, 5.96e-8, 2.98e-8, 1e-8, 70000, -0.0, 3.14159];
  const expected = [15361, 15360, 15362, 1023, 1, 0, 0, 31744, 32768, 16968];
  assert.deepEqual(inputs.map((v) => floatToHalf(v)), expected);
});

test('parseNpy reads numpy files of every supported dtype and format version', () => {
  const u1 = parseNpy(hex(NUMPY_U1));
  assert.equal(u1.dtype, 'uint8');
  assert.deepEqual(u1.shape, [4]);
  assert.deepEqual([...u1.data], [0, 1, 254, 255]);
  for (const h of [NUMPY_U2_V2, NUMPY_U2_V3]) {
    const a = parseNpy(hex(h));
    assert.equal(a.dtype, 'uint16');
    assert.ok(a.data instanceof Uint16Array);
    assert.deepEqual([...a.data], [1, 2]);
  }
  const f2 = parseNpy(encodeNpy(Float32Array.from([0, 1, -2.5, 65504, 1e-7]), [5], { dtype: 'float16' }));
  assert.equal(f2.dtype, 'float16');
  // 1e-7 in float16 is the subnormal 2 * 2^-24.
  assert.deepEqual([...f2.data], [0, 1, -2.5, 65504, 2 * 2 ** -24]);
  const cases: [ArrayLike<number> & { length: number }, string][] = [
    [Int8Array.from([-128, 5]), 'int8'],
    [Uint32Array.from([4e9, 1]), 'uint32'],
    [Int32Array.from([-7, 9]), 'int32'],
    [Float64Array.from([1.5, -2]), 'float64'],
  ];
  for (const [arr, dtype] of cases) {
    const back = parseNpy(encodeNpy(arr as never, [2]));
    assert.equal(back.dtype, dtype);
    assert.deepEqual([...(back.data as ArrayLike<number> as number[])], [...(arr as unknown as number[])]);
  }
});

test('int64 becomes Int32Array when it fits, BigInt64Array otherwise; bool reads as 0/1', () => {
  const small = parseNpy(encodeNpy(BigInt64Array.from([-3n, 0n, 7n]), [3]));
  assert.equal(small.dtype, 'int64');
  assert.ok(small.data instanceof Int32Array);
  assert.deepEqual([...small.data], [-3, 0, 7]);
  // np.array([-3, 0, 2**40], dtype='<i8')
  const big = parseNpy(hex(numpyHeaderV1("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }") + 'fdffffffffffffff00000000000000000000000000010000'));
  assert.ok(big.data instanceof BigInt64Array);
  assert.deepEqual([...big.data], [-3n, 0n, 2n ** 40n]);
  // np.array([True, False, True])
  const b = parseNpy(hex(numpyHeaderV1("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }") + '010001'));
  assert.equal(b.dtype, 'bool');
  assert.deepEqual([...b.data], [1, 0, 1]);
});

test('big-endian input is byte-swapped', () => {
  const be = parseNpy(hex(numpyHeaderV1("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }") + '0102fffe'));
  assert.deepEqual([...be.data], [0x0102, -2]);
});

test('bad inputs give one-line MedprobeErrors', () => {
  const fortran = hex(numpyHeaderV1("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 2), }") + 'ffff02002c010080');
  assert.throws(() => parseNpy(fortran, 'x.npy'), (e: unknown) => e instanceof MedprobeError && /Fortran/.test(e.message) && /x\.npy/.test(e.message) && !!e.hint);
  assert.throws(() => parseNpy(hex(NUMPY_U1).subarray(0, 130), 'y.npy'), (e: unknown) => e instanceof MedprobeError && /truncated/.test(e.message));
  assert.throws(() => parseNpy(new Uint8Array(20), 'z.npy'), (e: unknown) => e instanceof MedprobeError && /magic/.test(e.message));
  const complex = hex(numpyHeaderV1("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }") + '0000000000000000');
  assert.throws(() => parseNpy(complex), (e: unknown) => e instanceof MedprobeError && /unsupported .npy dtype '<c8'/.test(e.message));
  // parseNpyHeader is usable on just the header bytes.
  const h = parseNpyHeader(hex(NUMPY_U1).subarray(0, 128));
  assert.deepEqual(h, { descr: '|u1', fortranOrder: false, shape: [4], dataOffset: 128 });
});

test('writeNpy round-trips through a file atomically (no temp left behind)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medprobe-npy-'));
  try {
    const file = path.join(dir, 'sub', 'features.npy');
    const data = Float32Array.from({ length: 3 * 70 }, (_, i) => Math.sin(i));
    await writeNpy(file, data, [3, 70]);
    const back = await readNpy(file);
    assert.deepEqual(back.shape, [3, 70]);
    assert.deepEqual(back.data, data);
    const raw = await readFile(file);
    assert.equal(parseNpyHeader(raw).dataOffset % 64, 0, 'data is 64-byte aligned like numpy writes it');
    assert.equal(raw.length, parseNpyHeader(raw).dataOffset + data.byteLength);
    await writeNpy(path.join(dir, 'half.npy'), data, [3, 70], { dtype: 'float16' });
    const half = await readNpy(path.join(dir, 'half.npy'));
    assert.equal(half.dtype, 'float16');
    for (let i = 0; i < data.length; i++) assert.ok(Math.abs(half.data[i] as number - data[i]) <= 2 ** -11, `value ${i}`);
    assert.deepEqual((await readdir(path.join(dir, 'sub'))).sort(), ['features.npy']);
    await assert.rejects(readNpy(path.join(dir, 'nope.npy')), (e: unknown) => e instanceof MedprobeError && /no such .npy/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
