/** Levenshtein distance; names here are short (layer names, model ids), so O(|a|·|b|) is fine. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Up to `limit` candidates closest to `name` for a "did you mean" hint: substring matches first
 * (a user typing `relu` wants `out_relu`), then by case-insensitive edit distance.
 */
export function closeMatches(name: string, candidates: readonly string[], limit = 5): string[] {
  const q = name.toLowerCase();
  const scored = [...new Set(candidates)].map((c) => {
    const lc = c.toLowerCase();
    const contains = lc.includes(q) || (q.length > 0 && q.includes(lc));
    return { c, score: (contains ? 0 : 1000) + editDistance(q, lc) };
  });
  return scored.sort((x, y) => x.score - y.score || x.c.localeCompare(y.c)).slice(0, limit).map((s) => s.c);
}
