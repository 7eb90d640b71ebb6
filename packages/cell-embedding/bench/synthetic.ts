import type { CsrMatrix } from '@chromflow/core';
import { cooToSortedCsr, makeRandom } from '../src/index.js';

/** Counts from 8 planted programs: each cell draws Poisson counts, ~8 % non-zero. */
export function makeSyntheticCounts(nCells: number, nGenes: number, seed: number): CsrMatrix {
  const rng = makeRandom(seed);
  const programs = Array.from({ length: 8 }, () =>
    Float64Array.from({ length: nGenes }, () => (rng.uniform() < 0.15 ? 1 + 4 * rng.uniform() : 0)),
  );
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let r = 0; r < nCells; r++) {
    const prog = programs[r % 8]!;
    const depth = 0.5 + rng.uniform();
    for (let g = 0; g < nGenes; g++) {
      const lambda = (0.03 + prog[g]! * 0.4) * depth;
      // Poisson by inversion (small λ).
      let k = 0;
      let p = Math.exp(-lambda);
      let s = p;
      const u = rng.uniform();
      while (u > s && k < 50) {
        k++;
        p *= lambda / k;
        s += p;
      }
      if (k > 0) {
        rows.push(r);
        cols.push(g);
        vals.push(k);
      }
    }
  }
  return cooToSortedCsr(
    nCells,
    nGenes,
    Int32Array.from(rows),
    Int32Array.from(cols),
    Float32Array.from(vals),
  );
}
