import { describe, expect, it } from 'vitest';
import { auroc } from '@chromflow/core';
import { computeBlockMetrics } from '../src/metrics/block-metrics.js';

describe('block metrics (XChrom definitions)', () => {
  // 3 peaks × 4 cells, row-major peaks × cells.
  const labels = Uint8Array.from([1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1, 0]);
  const probs = Float32Array.from([0.9, 0.1, 0.6, 0.2, 0.8, 0.7, 0.6, 0.5, 0.3, 0.4, 0.2, 0.1]);
  const m = computeBlockMetrics(probs, labels, 3, 4);
  it('overall metrics use every entry', () => {
    expect(m.auroc).toBeCloseTo(auroc(probs, labels), 12);
    expect(m.positiveRate).toBeCloseTo(7 / 12, 12);
  });
  it('per-peak means skip the all-positive peak', () => {
    // Peak 0: perfect (1). Peak 1: one class only, skipped. Peak 2: positive 0.2 below 0.3,0.4 and above 0.1 → 1/3.
    expect(m.perPeakAuroc).toBeCloseTo((1 + 1 / 3) / 2, 6);
  });
  it('per-cell means skip cells whose column has one class', () => {
    // Cell 0: labels [1,1,0] scores [.9,.8,.3] → 1. Cell 1: [0,1,0] [.1,.7,.4] → 1.
    // Cell 2: [1,1,1] skipped. Cell 3: [0,1,0] [.2,.5,.1] → 1.
    expect(m.perCellAuroc).toBeCloseTo(1, 12);
  });
});
