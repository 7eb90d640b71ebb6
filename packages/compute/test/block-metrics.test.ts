import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { computeAuprc, computeAuroc, computeBlockMetrics } from '../src/metrics/auc.js';
import { SeededRandom } from '@chromflow/core';

/** A python3 that has scikit-learn, or undefined (CI has none: those tests skip). */
function findSklearnPython(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import sklearn'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  console.warn(
    'metrics.test: no python3 with scikit-learn; the live sklearn comparison is skipped',
  );
  return undefined;
}
const python = findSklearnPython();

describe('AUROC / AUPRC (scikit-learn definitions)', () => {
  // Worked by hand: 13 of 16 positive–negative pairs ordered right, one tie pair counted twice at ½.
  const y = [0, 0, 1, 1, 0, 1, 0, 1];
  const s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9];
  it('matches a hand-computed example with ties', () => {
    expect(computeAuroc(s, y)).toBeCloseTo(13 / 16, 12);
    // Steps: R .25 P 1; R .5 P 1; R .75 P 3/5 (tied group); R 1 P 4/6.
    expect(computeAuprc(s, y)).toBeCloseTo(0.25 + 0.25 + 0.25 * 0.6 + 0.25 * (4 / 6), 12);
  });
  it('gives ½ for constant scores and NaN for one class', () => {
    expect(computeAuroc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    expect(computeAuprc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    expect(computeAuroc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(computeAuprc([0.1, 0.2], [0, 0])).toBeNaN();
  });
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(computeAuroc([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(computeAuroc([0.1, 0.2, 0.9], [1, 1, 0])).toBe(0);
    expect(computeAuprc([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
  });

  it.skipIf(!python)('equals scikit-learn on random blocks with ties', () => {
    const rng = new SeededRandom(7);
    const cases: { y: number[]; s: number[] }[] = [];
    for (let k = 0; k < 20; k++) {
      const n = 5 + rng.int(0, 201);
      const yy = Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
      yy[0] = 1;
      yy[1] = 0;
      // Rounded scores create many ties.
      cases.push({ y: yy, s: yy.map((v) => Math.round((rng.uniform() + 0.3 * v) * 20) / 20) });
    }
    const script =
      'import json,sys\nfrom sklearn.metrics import roc_auc_score as r, average_precision_score as a\n' +
      'c=json.load(sys.stdin)\nprint(json.dumps([[r(x["y"],x["s"]),a(x["y"],x["s"])] for x in c]))';
    const out = spawnSync(python as string, ['-c', script], {
      input: JSON.stringify(cases),
      encoding: 'utf8',
    });
    const ref = JSON.parse(out.stdout) as [number, number][];
    cases.forEach((c, i) => {
      expect(computeAuroc(c.s, c.y)).toBeCloseTo(ref[i]?.[0] ?? NaN, 10);
      expect(computeAuprc(c.s, c.y)).toBeCloseTo(ref[i]?.[1] ?? NaN, 10);
    });
  });
});

describe('block metrics (XChrom definitions)', () => {
  // 3 peaks × 4 cells, row-major peaks × cells.
  const labels = Uint8Array.from([1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1, 0]);
  const probs = Float32Array.from([0.9, 0.1, 0.6, 0.2, 0.8, 0.7, 0.6, 0.5, 0.3, 0.4, 0.2, 0.1]);
  const m = computeBlockMetrics(probs, labels, 3, 4);
  it('overall metrics use every entry', () => {
    expect(m.auroc).toBeCloseTo(computeAuroc(probs, labels), 12);
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
