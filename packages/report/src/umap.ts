import { UMAP } from 'umap-js';
import { SeededRandom } from '@chromflow/core';

export interface UmapOptions {
  /** Neighbours of the kNN graph (umap-learn's default 15). */
  nNeighbors?: number;
  /** umap-learn's default 0.1. */
  minDist?: number;
  /** Seed of the initialisation and the optimisation's sampling. */
  seed?: number;
  /** Optimisation epochs (umap-js chooses 500 below 10,000 points, else 200). */
  nEpochs?: number;
}

/**
 * A 2-D UMAP of the rows of a row-major `nRows × nCols` matrix (umap-js, the
 * JavaScript port of umap-learn), deterministic for a seed. Returns
 * interleaved (x, y) pairs, one per row.
 */
export function umap2d(
  values: ArrayLike<number>,
  nRows: number,
  nCols: number,
  o: UmapOptions = {},
): Float64Array {
  const rows: number[][] = [];
  for (let r = 0; r < nRows; r++) {
    const row = new Array<number>(nCols);
    for (let c = 0; c < nCols; c++) row[c] = values[r * nCols + c] as number;
    rows.push(row);
  }
  const out = new Float64Array(nRows * 2);
  if (nRows < 3) return out;
  const rng = new SeededRandom(o.seed ?? 42);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(o.nNeighbors ?? 15, nRows - 1),
    minDist: o.minDist ?? 0.1,
    random: () => rng.uniform(),
    ...(o.nEpochs === undefined ? {} : { nEpochs: o.nEpochs }),
  });
  const embedding = umap.fit(rows);
  embedding.forEach((p, r) => {
    out[2 * r] = p[0]!;
    out[2 * r + 1] = p[1]!;
  });
  return out;
}
