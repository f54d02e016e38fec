/**
 * `block:-1` names the last transformer block's output, `block:-4..-1` the last four in order.
 * Indices count from the end (−1 = last) so one card works for any depth.
 */
const BLOCK_RE = /^block:(-\d+)(?:\.\.(-\d+))?$/;

export function isBlockRef(output: string): boolean {
  return output.startsWith('block:');
}

/** The negative block indices a ref names, ascending (e.g. [-4,-3,-2,-1]); null when malformed. */
export function parseBlockRef(output: string): number[] | null {
  const m = BLOCK_RE.exec(output);
  if (!m) return null;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from === 0 || to === 0 || from > to) return null;
  const out: number[] = [];
  for (let k = from; k <= to; k++) out.push(k);
  return out;
}

/** Name of the graph output the editor adds for block `k` (negative index), final LayerNorm applied. */
export function blockOutputName(k: number): string {
  return `medprobe_block_m${-k}_norm`;
}
