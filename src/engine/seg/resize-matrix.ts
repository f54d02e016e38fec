/**
 * Bilinear resampling as a matrix, so an upsample is two MatMuls in the graph and its
 * backward pass is the same two MatMuls with the transposed matrices. Matches PyTorch's
 * `F.interpolate(mode='bilinear', align_corners=False)` (half-pixel centres, edge clamp, no antialias).
 *
 * Returns row-major [outSize × inSize]: out = M · in along one axis.
 */
export function bilinearMatrix(outSize: number, inSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const l1 = src - i0;
    m[o * inSize + i0] += 1 - l1;
    m[o * inSize + i1] += l1;
  }
  return m;
}

export function transpose2d(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}
