import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@chromflow/core';
import {
  chiSquareSurvival,
  kbetRejectionRate,
  knnBatchEntropy,
  upperRegularizedGamma,
} from '../src/batch-mixing.js';
import { nearestNeighbours, type Neighbours } from '../src/knn-graph.js';

/** Neighbours given by hand (distances unused). */
function graph(k: number, rows: number[][]): Neighbours {
  return {
    n: rows.length,
    k,
    indices: Int32Array.from(rows.flat()),
    distances: new Float64Array(rows.length * k),
  };
}

/** 2 × m cells in two Gaussian clouds; batch b of cell i is i % 2 (mixed) or its cloud (separated). */
function clouds(m: number, gap: number): Float64Array {
  const rng = new SeededRandom(3);
  const x = new Float64Array(2 * m * 2);
  for (let i = 0; i < 2 * m; i++) {
    x[2 * i] = rng.normal() + (i < m ? 0 : gap);
    x[2 * i + 1] = rng.normal();
  }
  return x;
}

describe('batch mixing scores', () => {
  it('chi-square survival matches scipy.stats.chi2.sf (values computed with scipy 1.x)', () => {
    const cases: [number, number, number][] = [
      [3.841458820694124, 1, 0.05],
      [0.5, 1, 0.47950012218695337],
      [10, 3, 0.01856613546304325],
      [25, 4, 5.0309817823062075e-5],
      [1e-3, 2, 0.9995001249791693],
      [50, 10, 2.669083424904495e-7],
      [2.5, 7, 0.9270970650134738],
    ];
    for (const [x, df, want] of cases) expect(chiSquareSurvival(x, df)).toBeCloseTo(want, 12);
    expect(upperRegularizedGamma(0.5, 0.1)).toBeCloseTo(0.6547208460185768, 12);
    expect(upperRegularizedGamma(3.5, 20) / 1.258790387371308e-6).toBeCloseTo(1, 9);
  });

  it('entropy and kBET by hand on four cells, two batches, k = 2', () => {
    // Cells 0,1 in batch a, 2,3 in b. Neighbourhoods: 0 → {1, 2} (mixed), 1 → {0, 0}, 2 → {3, 3}, 3 → {0, 2}.
    const g = graph(2, [
      [1, 2],
      [0, 0],
      [3, 3],
      [0, 2],
    ]);
    const batches = ['a', 'a', 'b', 'b'];
    // Mixed neighbourhoods have entropy ln 2 = the global entropy; pure ones 0: mean (1 + 0 + 0 + 1) / 4.
    expect(knnBatchEntropy(g, batches)).toBeCloseTo(0.5, 12);
    // Expected 1 per batch; a pure neighbourhood gives χ² = 2 (p 0.157), not rejected at 0.05 but at 0.2.
    expect(kbetRejectionRate(g, batches, 0.05)).toBe(0);
    expect(kbetRejectionRate(g, batches, 0.2)).toBe(0.5);
  });

  it('separated batches score entropy ~0 and rejection ~1; interleaved ones entropy ~1 and rejection near alpha', () => {
    const m = 150;
    const x = clouds(m, 20);
    const knn = nearestNeighbours(x, 2 * m, 2, 15);
    const byCloud = Array.from({ length: 2 * m }, (_, i) => (i < m ? 'a' : 'b'));
    const interleaved = Array.from({ length: 2 * m }, (_, i) => (i % 2 === 0 ? 'a' : 'b'));
    expect(knnBatchEntropy(knn, byCloud)).toBeLessThan(0.01);
    expect(kbetRejectionRate(knn, byCloud)).toBeGreaterThan(0.99);
    expect(knnBatchEntropy(knn, interleaved)).toBeGreaterThan(0.85);
    expect(kbetRejectionRate(knn, interleaved)).toBeLessThan(0.15);
  });

  it('one batch is perfectly mixed; a label count unlike the cells is an error naming the field', () => {
    const g = graph(1, [[1], [0]]);
    expect(knnBatchEntropy(g, ['a', 'a'])).toBe(1);
    expect(kbetRejectionRate(g, ['a', 'a'])).toBe(0);
    expect(() => knnBatchEntropy(g, ['a'])).toThrow(
      expect.objectContaining({ field: 'batches' }) as Error,
    );
  });
});
