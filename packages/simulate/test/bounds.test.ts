import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auroc } from '../src/bounds.js';

/** AUROC by its definition: P(score of a positive > score of a negative) + ½ P(tie), over all pairs. */
function aurocByPairs(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!labels[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j]) continue;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

function hasScipy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import scipy.stats'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('auroc', () => {
  it('equals the pairwise definition, ties included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean()), {
          minLength: 2,
          maxLength: 60,
        }),
        (rows) => {
          const scores = rows.map((r) => r[0]);
          const labels = rows.map((r) => (r[1] ? 1 : 0));
          const nPos = labels.reduce((a: number, b) => a + b, 0);
          const got = auroc(scores, labels);
          if (nPos === 0 || nPos === labels.length) expect(got).toBeNaN();
          else expect(got).toBeCloseTo(aurocByPairs(scores, labels), 12);
        },
      ),
    );
  });

  it('honours the include filter', () => {
    expect(auroc([0.1, 0.9, 0.8, 0.2], [0, 1, 0, 1], (i) => i < 2)).toBe(1);
  });

  it.skipIf(!hasScipy())('agrees with scipy.stats.mannwhitneyu (U / n1 n2)', () => {
    const scores = Array.from(
      { length: 400 },
      (_, i) => Math.round(Math.sin(i * 12.9898) * 43758.5453) % 17,
    );
    const labels = scores.map((s, i) => ((s + i) % 3 === 0 ? 1 : 0));
    const py =
      'import json,sys; from scipy.stats import mannwhitneyu; d=json.load(sys.stdin); ' +
      'p=[s for s,l in zip(d[0],d[1]) if l]; n=[s for s,l in zip(d[0],d[1]) if not l]; ' +
      'print(mannwhitneyu(p,n).statistic/(len(p)*len(n)))';
    const out = execFileSync('python3', ['-c', py], {
      input: JSON.stringify([scores, labels]),
    }).toString();
    expect(auroc(scores, labels)).toBeCloseTo(Number(out), 12);
  });
});
