import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auroc, averagePrecision, rocCurve } from '../src/ranking-metrics.js';
import { SeededRandom } from '../src/seeded-random.js';

/** Debian's python with scikit-learn, the oracle; undefined (and a message) where absent. */
const python = ['/usr/bin/python3', 'python3'].find((py) => {
  try {
    execFileSync(py, ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!python) console.warn('skipping: no python3 with scikit-learn (ranking-metric oracle)');

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

/** Rounded scores make many ties. */
function sample(n: number, seed: number): { s: number[]; y: number[] } {
  const rng = new SeededRandom(seed);
  const y = Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
  y[0] = 1;
  y[1] = 0;
  return { y, s: y.map((v) => Math.round((rng.normal() + v) * 4) / 4) };
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
    expect(auroc([0.1, 0.9, 0.8, 0.2], [0, 1, 0, 1], (i) => i >= 2)).toBe(0);
  });

  it('is ½ for constant scores, 1 for a perfect ranking, 0 reversed, NaN for one class', () => {
    expect(auroc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    expect(auroc([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(auroc([0.1, 0.2, 0.9], [1, 1, 0])).toBe(0);
    expect(auroc([0.1, 0.2], [1, 1])).toBeNaN();
  });
});

describe('averagePrecision', () => {
  it('matches a hand-computed example with ties', () => {
    const y = [0, 0, 1, 1, 0, 1, 0, 1];
    const s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9];
    expect(auroc(s, y)).toBeCloseTo(13 / 16, 12);
    // Steps: R .25 P 1; R .5 P 1; R .75 P 3/5 (tied group); R 1 P 4/6.
    expect(averagePrecision(s, y)).toBeCloseTo(0.25 + 0.25 + 0.25 * 0.6 + 0.25 * (4 / 6), 12);
    expect(averagePrecision([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    expect(averagePrecision([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(averagePrecision([0.1, 0.2], [0, 0])).toBeNaN();
  });
});

describe('rocCurve', () => {
  it('is the hand-computed curve of a small example with a tie; its area is auroc', () => {
    const c = rocCurve([0.9, 0.8, 0.8, 0.1], [1, 1, 0, 0]);
    expect(Array.from(c.fpr)).toEqual([0, 0, 0.5, 1]);
    expect(Array.from(c.tpr)).toEqual([0, 0.5, 1, 1]);
    expect(c.auc).toBeCloseTo(0.875, 12);
    expect(rocCurve([0.2, 0.4], [1, 1]).auc).toBeNaN();
  });
});

describe.skipIf(!python)('against scikit-learn', () => {
  it('roc_auc_score and average_precision_score on random blocks with ties', () => {
    const cases = Array.from({ length: 20 }, (_, k) => sample(5 + ((k * 37) % 200), 7 + k));
    const script =
      'import json,sys\nfrom sklearn.metrics import roc_auc_score as r, average_precision_score as a\n' +
      'c=json.load(sys.stdin)\nprint(json.dumps([[r(x["y"],x["s"]),a(x["y"],x["s"])] for x in c]))';
    const ref = JSON.parse(
      execFileSync(python!, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' }),
    ) as [number, number][];
    cases.forEach((c, i) => {
      expect(auroc(c.s, c.y)).toBeCloseTo(ref[i]![0], 10);
      expect(averagePrecision(c.s, c.y)).toBeCloseTo(ref[i]![1], 10);
    });
  });

  it('roc_curve (drop_intermediate=False)', () => {
    const { s, y } = sample(200, 5);
    const out = execFileSync(
      python!,
      [
        '-c',
        'import json,sys; from sklearn.metrics import roc_curve; d=json.load(sys.stdin); ' +
          'f,t,_=roc_curve(d["y"],d["s"],drop_intermediate=False); print(json.dumps([list(f),list(t)]))',
      ],
      { input: JSON.stringify({ y, s }), encoding: 'utf8' },
    );
    const [fpr, tpr] = JSON.parse(out) as [number[], number[]];
    const c = rocCurve(s, y);
    expect(Array.from(c.fpr)).toHaveLength(fpr.length);
    c.fpr.forEach((v, i) => expect(v).toBeCloseTo(fpr[i]!, 12));
    c.tpr.forEach((v, i) => expect(v).toBeCloseTo(tpr[i]!, 12));
  });
});
