/**
 * Orientation helpers for voxel→world affines (row-major 4×4, world = RAS+ mm as in NIfTI).
 * `closestCanonical` mirrors nibabel's `as_closest_canonical`: permute/flip voxel axes (no
 * resampling) so that voxel axis j points most nearly along world axis j, positively.
 */

export type Axes = [number, number, number];

export interface Reorientation {
  /** For canonical axis j: which source voxel axis it reads. */
  sourceAxis: Axes;
  /** For canonical axis j: whether the source axis runs the opposite way. */
  flip: [boolean, boolean, boolean];
}

export const IDENTITY_REORIENTATION: Reorientation = { sourceAxis: [0, 1, 2], flip: [false, false, false] };

export function isIdentity(r: Reorientation): boolean {
  return r.sourceAxis.every((a, j) => a === j) && r.flip.every((f) => !f);
}

/**
 * Greedy axis assignment on the direction cosines (columns of the 3×3 part, normalised): repeatedly
 * take the largest |cosine| among unassigned voxel and world axes. For the near-orthogonal affines
 * of real scans this is the same answer as nibabel's SVD-based io_orientation.
 */
export function closestCanonical(affine: readonly number[]): Reorientation {
  const cos: number[][] = [0, 1, 2].map((i) => {
    const col = [affine[i], affine[4 + i], affine[8 + i]];
    const n = Math.hypot(...col) || 1;
    return col.map((v) => v / n);
  });
  const sourceAxis: Axes = [-1, -1, -1];
  const flip: [boolean, boolean, boolean] = [false, false, false];
  const usedVoxel = new Set<number>();
  for (let round = 0; round < 3; round++) {
    let best = -1;
    let bi = -1;
    let bj = -1;
    for (let i = 0; i < 3; i++) {
      if (usedVoxel.has(i)) continue;
      for (let j = 0; j < 3; j++) {
        if (sourceAxis[j] !== -1) continue;
        if (Math.abs(cos[i][j]) > best) {
          best = Math.abs(cos[i][j]);
          bi = i;
          bj = j;
        }
      }
    }
    usedVoxel.add(bi);
    sourceAxis[bj] = bi;
    flip[bj] = cos[bi][bj] < 0;
  }
  return { sourceAxis, flip };
}

/** Orientation codes of the voxel axes, e.g. "LAS" for an affine whose first axis points left. */
export function axisCodes(affine: readonly number[]): string {
  const r = closestCanonical(affine);
  const pos = ['R', 'A', 'S'];
  const neg = ['L', 'P', 'I'];
  const codes = ['', '', ''];
  for (let j = 0; j < 3; j++) codes[r.sourceAxis[j]] = r.flip[j] ? neg[j] : pos[j];
  return codes.join('');
}

/** Shape and affine after reorientation. The new affine is A·T with T mapping canonical → source indices. */
export function reorientGrid(shape: Axes, affine: readonly number[], r: Reorientation): { shape: Axes; affine: number[] } {
  const newShape = r.sourceAxis.map((s) => shape[s]) as Axes;
  // T (4×4): source index s_j = flip ? n_j − 1 − c_j : c_j
  const T = new Array(16).fill(0);
  T[15] = 1;
  for (let j = 0; j < 3; j++) {
    const s = r.sourceAxis[j];
    T[s * 4 + j] = r.flip[j] ? -1 : 1;
    if (r.flip[j]) T[s * 4 + 3] = newShape[j] - 1;
  }
  return { shape: newShape, affine: matmul4(affine, T) };
}

/**
 * Copy voxel data (x fastest) into the reoriented layout. A gather over a permutation: one read per
 * voxel, no arithmetic beyond index math, so it runs at memory speed in JS.
 */
export function reorientData<T extends { length: number; [i: number]: number }>(data: T, shape: Axes, r: Reorientation, make: (n: number) => T): T {
  return permuteVoxels(data, shape, r, make, false);
}

/**
 * The inverse of reorientData: voxels in reoriented order back into the order of the source file
 * (`shape` = the source's, as for reorientData), e.g. to write a prediction on a label map's grid as stored.
 */
export function restoreSourceOrder<T extends { length: number; [i: number]: number }>(data: T, shape: Axes, r: Reorientation, make: (n: number) => T): T {
  return permuteVoxels(data, shape, r, make, true);
}

function permuteVoxels<T extends { length: number; [i: number]: number }>(data: T, shape: Axes, r: Reorientation, make: (n: number) => T, toSource: boolean): T {
  if (isIdentity(r)) return data;
  const [n0, n1, n2] = r.sourceAxis.map((s) => shape[s]);
  const srcStride = [1, shape[0], shape[0] * shape[1]];
  const stride = r.sourceAxis.map((s) => srcStride[s]);
  const start = [0, 1, 2].map((j) => (r.flip[j] ? (([n0, n1, n2][j] - 1) * stride[j]) : 0));
  const step = [0, 1, 2].map((j) => (r.flip[j] ? -stride[j] : stride[j]));
  const out = make(data.length);
  let o = 0;
  for (let c2 = 0; c2 < n2; c2++) {
    const b2 = start[0] + start[1] + start[2] + c2 * step[2];
    for (let c1 = 0; c1 < n1; c1++) {
      let s = b2 + c1 * step[1];
      if (toSource) for (let c0 = 0; c0 < n0; c0++, s += step[0]) out[s] = data[o++];
      else for (let c0 = 0; c0 < n0; c0++, s += step[0]) out[o++] = data[s];
    }
  }
  return out;
}

export function matmul4(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array(16).fill(0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) out[i * 4 + j] += a[i * 4 + k] * b[k * 4 + j];
  return out.map((v) => v + 0);
}
