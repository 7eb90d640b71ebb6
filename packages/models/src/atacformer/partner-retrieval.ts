import { ChromflowError } from '@chromflow/core';

/** How often a cell's own partner (row i of `keys` for row i of `queries`) ranks within the top k. */
export interface PartnerRetrieval {
  /** Cells scored. */
  n: number;
  /** k → fraction of queries whose partner is among their k most similar keys. */
  topK: Record<number, number>;
  /** k → the same fraction for a random ranking: min(k, n) / n. */
  chance: Record<number, number>;
  /** Mean 0-based rank of the partner (0 = first). */
  meanRank: number;
}

/**
 * Paired-cell retrieval (CRAFT's evidence): queries [n, d] and keys [n, d]
 * row-major, row i of each the same cell seen by two modalities. Similarity
 * is the cosine; a partner's rank is the number of other keys at least as
 * similar to the query (ties count against it, so constant embeddings score
 * no better than chance's worst case).
 */
export function partnerRetrieval(
  queries: ArrayLike<number>,
  keys: ArrayLike<number>,
  n: number,
  d: number,
  ks: readonly number[] = [1, 10],
): PartnerRetrieval {
  if (queries.length !== n * d || keys.length !== n * d || n < 1) {
    throw new ChromflowError('VALUE', 'retrieval needs two n × d embeddings of the same cells', {
      field: 'queries/keys',
      expected: `${n} × ${d} values each (n ≥ 1)`,
      found: `${queries.length} and ${keys.length}`,
    });
  }
  const unit = (x: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += x[i * d + c]! ** 2;
      const k = 1 / Math.max(Math.sqrt(s), 1e-12);
      for (let c = 0; c < d; c++) out[i * d + c] = x[i * d + c]! * k;
    }
    return out;
  };
  const q = unit(queries);
  const k = unit(keys);
  const ranks = new Int32Array(n);
  const sims = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += q[i * d + c]! * k[j * d + c]!;
      sims[j] = s;
    }
    let rank = 0;
    for (let j = 0; j < n; j++) if (j !== i && sims[j]! >= sims[i]!) rank++;
    ranks[i] = rank;
  }
  const topK: Record<number, number> = {};
  const chance: Record<number, number> = {};
  for (const kk of ks) {
    let hits = 0;
    for (const r of ranks) if (r < kk) hits++;
    topK[kk] = hits / n;
    chance[kk] = Math.min(kk, n) / n;
  }
  const meanRank = ranks.reduce((a, b) => a + b, 0) / n;
  return { n, topK, chance, meanRank };
}
