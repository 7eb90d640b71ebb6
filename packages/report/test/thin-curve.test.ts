import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { computeAuroc } from '@chromflow/compute';
import { SeededRandom } from '@chromflow/core';
import { rocCurve, thinCurve } from '../src/roc.js';

/** Debian's python with scikit-learn, the oracle; undefined (and a message) where absent. */
const python = ['/usr/bin/python3', 'python3'].find((py) => {
  try {
    execFileSync(py, ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!python) console.warn('skipping: no python3 with scikit-learn (roc_curve oracle unavailable)');

function sample(n: number, seed: number): { scores: number[]; labels: number[] } {
  const rng = new SeededRandom(seed);
  const labels = Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
  // Rounded scores make ties, which the curve must walk diagonally.
  const scores = labels.map((l) => Math.round((rng.normal() + l) * 4) / 4);
  return { scores, labels };
}

describe('rocCurve', () => {
  it('gives the area of the Mann–Whitney U (ties count one half), as auroc does', () => {
    for (const seed of [1, 2, 3]) {
      const { scores, labels } = sample(301, seed);
      expect(rocCurve(scores, labels).auc).toBeCloseTo(computeAuroc(scores, labels), 12);
    }
  });

  it('is the hand-computed curve of a small example with a tie', () => {
    const c = rocCurve([0.9, 0.8, 0.8, 0.1], [1, 1, 0, 0]);
    expect(Array.from(c.fpr)).toEqual([0, 0, 0.5, 1]);
    expect(Array.from(c.tpr)).toEqual([0, 0.5, 1, 1]);
    expect(c.auc).toBeCloseTo(0.875, 12);
  });

  it('has no area without both classes', () => {
    expect(rocCurve([0.2, 0.4], [1, 1]).auc).toBeNaN();
  });

  it('thins a long curve keeping both ends', () => {
    const { scores, labels } = sample(5000, 4);
    const curve = rocCurve(
      scores.map((s, i) => s + i * 1e-9),
      labels,
    );
    const t = thinCurve(curve, 100);
    expect(t.fpr).toHaveLength(100);
    expect(t.fpr[0]).toBe(0);
    expect(t.tpr.at(-1)).toBe(1);
  });

  it.skipIf(!python)('equals scikit-learn roc_curve (drop_intermediate=False)', () => {
    const { scores, labels } = sample(200, 5);
    const out = execFileSync(
      python!,
      [
        '-c',
        'import json,sys; from sklearn.metrics import roc_curve; d=json.load(sys.stdin); ' +
          'f,t,_=roc_curve(d["y"],d["s"],drop_intermediate=False); print(json.dumps([list(f),list(t)]))',
      ],
      { input: JSON.stringify({ y: labels, s: scores }), encoding: 'utf8' },
    );
    const [fpr, tpr] = JSON.parse(out) as [number[], number[]];
    const c = rocCurve(scores, labels);
    expect(Array.from(c.fpr)).toHaveLength(fpr.length);
    c.fpr.forEach((v, i) => expect(v).toBeCloseTo(fpr[i]!, 12));
    c.tpr.forEach((v, i) => expect(v).toBeCloseTo(tpr[i]!, 12));
  });
});
