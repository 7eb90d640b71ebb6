import { describe, expect, it } from 'vitest';
import { pearson } from '../src/statistics.js';

describe('pearson', () => {
  it('is the hand-computed r of a small example', () => {
    // x̄ = 2.5, ȳ = 3.5; Σdxdy = 4, Σdx² = 5, Σdy² = 5 → r = 4 / 5.
    expect(pearson([1, 2, 3, 4], [2, 4, 3, 5])).toBeCloseTo(0.8, 14);
  });
  it('is ±1 for exact linear relations and NaN when a series is constant', () => {
    expect(pearson([1, 2, 3], [10, 8, 6])).toBeCloseTo(-1, 14);
    expect(pearson(Float64Array.of(0.5, 1.5, 9), Float32Array.of(1, 3, 18))).toBeCloseTo(1, 6);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});
