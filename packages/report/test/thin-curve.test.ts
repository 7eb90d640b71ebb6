import { describe, expect, it } from 'vitest';
import { SeededRandom, rocCurve } from '@chromflow/core';
import { thinCurve } from '../src/thin-curve.js';

describe('thinCurve', () => {
  it('thins a long curve to the asked number of points, keeping both ends', () => {
    const rng = new SeededRandom(4);
    const labels = Array.from({ length: 5000 }, () => (rng.uniform() < 0.3 ? 1 : 0));
    const scores = labels.map((l, i) => rng.normal() + l + i * 1e-9);
    const curve = rocCurve(scores, labels);
    const t = thinCurve(curve, 100);
    expect(t.fpr).toHaveLength(100);
    expect(t.fpr[0]).toBe(0);
    expect(t.tpr.at(-1)).toBe(1);
    // Every kept point is a point of the curve, in order.
    for (let k = 1; k < 100; k++) expect(t.fpr[k]!).toBeGreaterThanOrEqual(t.fpr[k - 1]!);
  });

  it('keeps a short curve whole', () => {
    const curve = rocCurve([0.9, 0.8, 0.8, 0.1], [1, 1, 0, 0]);
    expect(thinCurve(curve, 400)).toEqual({ fpr: [0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1] });
  });
});
