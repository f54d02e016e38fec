import { matrix, type Matrix } from '../../src/util/matrix.js';

/**
 * Deterministic synthetic features with a class signal, identical to synth() in
 * reference/classification_reference.py (no RNG to port between languages):
 * x[i,j] = sin(0.37·i·(j+1) + 0.11·j) + cos(1.7·i + 0.5·j²) + signal·[j = y_i mod d],
 * y_i = (7i + 3) mod c, i counted from `offset`.
 */
export function synth(n: number, d: number, c: number, signal: number, offset: number): { features: Matrix; labels: Int32Array } {
  const x = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const i = offset + r;
    const y = (i * 7 + 3) % c;
    labels[r] = y;
    for (let j = 0; j < d; j++) {
      x[r * d + j] = Math.sin(0.37 * i * (j + 1) + 0.11 * j) + Math.cos(1.7 * i + 0.5 * j * j) + (j === y % d ? signal : 0);
    }
  }
  return { features: matrix(n, d, x), labels };
}
