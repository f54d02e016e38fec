import type { Matrix } from '../util/matrix.js';
import { GraphBuilder, engineSession, floatTensor, int64Tensor, type ort } from './graph.js';

/** The k most similar bank rows of each query row, best first. */
export interface Neighbours {
  rows: number;
  k: number;
  /** [rows × k] bank row indices. */
  indices: Int32Array;
  /** [rows × k] cosine similarities, descending within a row. */
  sims: Float32Array;
}

/**
 * Cosine similarity + top-k as one ONNX graph: S = (Q·Bᵀ) ⊙ (1/|q|) ⊙ (1/|b|), then TopK.
 * Scaling by inverse norms inside the graph instead of normalising the matrices in JS means
 * neither the bank nor the query is ever copied (a 50k × 768 bank is 150 MB).
 * A zero row gets inverse norm 0, i.e. similarity 0 to everything (sklearn's normalize()
 * leaves zero rows as zeros too). ORT's TopK puts the lower index first among equal values.
 */
function buildCosineTopK(): Uint8Array {
  const g = new GraphBuilder('medprobe_cosine_topk');
  const q = g.input('query', ['q', 'd']);
  const b = g.input('bank', ['n', 'd']);
  const iq = g.input('inv_norm_query', ['q', 1]);
  const ib = g.input('inv_norm_bank', [1, 'n']);
  const k = g.input('k', [1], 'int64');
  const dots = g.op1('Gemm', [q, b], { transB: 1 });
  const sims = g.op1('Mul', [g.op1('Mul', [dots, iq]), ib]);
  g.output('sims', ['q', 'k']);
  g.output('indices', ['q', 'k'], 'int64');
  g.op('TopK', [sims, k], { axis: -1, largest: 1, sorted: 1 }, ['sims', 'indices']);
  return g.toBytes();
}

function cosineSession(): Promise<ort.InferenceSession> {
  return engineSession('cosine-topk', buildCosineTopK);
}

/**
 * 1/‖row‖₂ per row (0 for a zero row), accumulated in float64. A JS pass on purpose: it is
 * O(n·D) once per matrix, against the O(q·n·D) similarity work done in ORT. Four independent
 * sums per row: one running sum is bound by the add's latency, and this pass was 10 % of a
 * 1 000 × 50 000 × 768 top-k (58 → 30 ms, `npm run bench:knn`); only the float64 summation
 * order differs.
 */
export function inverseRowNorms(m: Matrix): Float32Array {
  const out = new Float32Array(m.rows);
  const d = m.data;
  const D = m.cols;
  for (let i = 0; i < m.rows; i++) {
    const base = i * D;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j + 4 <= D; j += 4) {
      const p = base + j;
      s0 += d[p] * d[p];
      s1 += d[p + 1] * d[p + 1];
      s2 += d[p + 2] * d[p + 2];
      s3 += d[p + 3] * d[p + 3];
    }
    for (; j < D; j++) s0 += d[base + j] * d[base + j];
    const s = s0 + s1 + (s2 + s3);
    out[i] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  return out;
}

export interface CosineTopKOptions {
  /**
   * The query IS the bank (same rows, same order): each row's own match is dropped, as
   * leave-one-out neighbour counting (ML-kNN training) needs.
   */
  excludeSelf?: boolean;
  /**
   * Bound on the similarity block held at once (default 128 MB); the query is processed in
   * chunks under it. Each chunk streams the whole bank through the Gemm once, so fewer, larger
   * chunks cost less: 7 % less CPU time than 32 MB chunks for 1 000 × 50 000 × 768 (measured
   * by process CPU time, 6 alternating rounds). Results do not depend on it
   * (test/engine/similarity.test.ts).
   */
  maxChunkBytes?: number;
  /** Precomputed inverse norms of the bank, when the caller queries the same bank repeatedly. */
  bankInvNorms?: Float32Array;
}

/** Top-k cosine neighbours of every query row in the bank. k is clipped to the bank size. */
export async function cosineTopK(bank: Matrix, query: Matrix, k: number, opts: CosineTopKOptions = {}): Promise<Neighbours> {
  if (bank.cols !== query.cols) throw new RangeError(`bank has ${bank.cols}-d rows, query ${query.cols}-d`);
  if (opts.excludeSelf && bank !== query && bank.data !== query.data) throw new RangeError('excludeSelf needs query to be the bank itself');
  const selfOffset = opts.excludeSelf ? 1 : 0;
  const kEff = Math.max(0, Math.min(Math.floor(k), bank.rows - selfOffset));
  const out: Neighbours = { rows: query.rows, k: kEff, indices: new Int32Array(query.rows * kEff), sims: new Float32Array(query.rows * kEff) };
  if (kEff === 0 || query.rows === 0) return out;
  const kRun = kEff + selfOffset;

  const sess = await cosineSession();
  const ib = opts.bankInvNorms ?? inverseRowNorms(bank);
  const iq = opts.excludeSelf ? ib : inverseRowNorms(query);
  const maxBytes = opts.maxChunkBytes ?? 128 * 2 ** 20;
  const chunk = Math.max(1, Math.min(4096, Math.floor(maxBytes / (4 * bank.rows))));
  const bankT = floatTensor(bank.data, [bank.rows, bank.cols]);
  const ibT = floatTensor(ib, [1, bank.rows]);
  const kT = int64Tensor([kRun]);

  for (let start = 0; start < query.rows; start += chunk) {
    const end = Math.min(query.rows, start + chunk);
    const n = end - start;
    // A one-row Gemm takes MLAS's matrix-vector kernel, whose sums round differently from the
    // matrix kernel every other chunk uses; run a lone row twice so no result depends on where
    // the chunks fall (test/engine/similarity.test.ts).
    const rows = query.data.subarray(start * query.cols, end * query.cols);
    const q = n === 1 ? Float32Array.from({ length: 2 * query.cols }, (_, j) => rows[j % query.cols]) : rows;
    const qInv = n === 1 ? Float32Array.of(iq[start], iq[start]) : iq.subarray(start, end);
    const r = await sess.run({
      query: floatTensor(q, [qInv.length, query.cols]),
      bank: bankT,
      inv_norm_query: floatTensor(qInv, [qInv.length, 1]),
      inv_norm_bank: ibT,
      k: kT,
    });
    const sims = r.sims.data as Float32Array;
    const idx = r.indices.data as BigInt64Array;
    for (let i = 0; i < n; i++) {
      const qi = start + i;
      let w = qi * kEff;
      const wEnd = w + kEff;
      for (let j = 0; j < kRun && w < wEnd; j++) {
        const bi = Number(idx[i * kRun + j]);
        // Drop the row itself; if exact duplicates pushed it out of the top k+1, the
        // write bound drops the last neighbour instead, so every row keeps k.
        if (opts.excludeSelf && bi === qi) continue;
        out.indices[w] = bi;
        out.sims[w] = sims[i * kRun + j];
        w++;
      }
    }
    for (const t of Object.values(r)) t.dispose?.();
  }
  return out;
}
