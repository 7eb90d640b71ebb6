import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  intScoreOfWindow,
  intScoreThreshold,
  makePwms,
  pValueFromIntScore,
  scoreFromIntScore,
} from '../src/index.js';
import type { Motif, Pwm } from '../src/index.js';

/**
 * Oracle: enumerate all 4^w words of a short motif, weight each by its
 * background probability, and tally P(score ≥ s) directly. This is the
 * distribution the dynamic programme must produce, computed the slow way.
 */
function bruteForcePValues(pwm: Pwm, range: number): Float64Array {
  const w = pwm.width;
  const pdf = new Float64Array(w * range + 1);
  const word = new Uint8Array(w);
  for (let n = 0; n < 4 ** w; n++) {
    let x = n;
    let p = 1;
    for (let i = 0; i < w; i++) {
      word[i] = x & 3;
      x >>= 2;
      p *= pwm.background[word[i]!]!;
    }
    pdf[intScoreOfWindow(pwm, word, 0)]! += p;
  }
  for (let s = pdf.length - 2; s >= 0; s--) pdf[s]! += pdf[s + 1]!;
  return pdf;
}

const row = fc
  .array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 })
  .map((xs) => {
    const s = xs.reduce((a, b) => a + b, 0);
    return s > 0 ? xs.map((x) => x / s) : [0.25, 0.25, 0.25, 0.25];
  });
const motif = (maxWidth: number): fc.Arbitrary<Motif> =>
  fc
    .record({
      rows: fc.array(row, { minLength: 1, maxLength: maxWidth }),
      nsites: fc.integer({ min: 1, max: 200 }),
    })
    .map(({ rows, nsites }) => ({
      id: 'm',
      altName: '',
      width: rows.length,
      probabilities: Float64Array.from(rows.flat()),
      nsites,
    }));
const background = fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), {
  minLength: 4,
  maxLength: 4,
});

describe('exact p-values', () => {
  it('equal brute-force enumeration of every word (width ≤ 6, random backgrounds and ranges)', () => {
    fc.assert(
      fc.property(motif(6), background, fc.constantFrom(20, 100, 1000), (m, bg, range) => {
        const { forward, reverse } = makePwms(m, { background: bg, range, pseudocount: 0.1 });
        for (const pwm of [forward, reverse]) {
          const oracle = bruteForcePValues(pwm, range);
          expect(pwm.pValues.length).toBe(oracle.length);
          oracle.forEach((p, s) =>
            expect(Math.abs(pwm.pValues[s]! - Math.min(1, p))).toBeLessThan(1e-12),
          );
        }
      }),
      { numRuns: 40 },
    );
  });

  it('p-values never rise with the score, and a better word never has a larger p-value', () => {
    fc.assert(
      fc.property(
        motif(12),
        background,
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 24, maxLength: 24 }),
        (m, bg, codes) => {
          const { forward } = makePwms(m, { background: bg });
          for (let s = 1; s < forward.pValues.length; s++)
            expect(forward.pValues[s]!).toBeLessThanOrEqual(forward.pValues[s - 1]!);
          const a = intScoreOfWindow(forward, codes, 0);
          const b = intScoreOfWindow(forward, codes, 12 - m.width + 12);
          if (a >= b)
            expect(pValueFromIntScore(forward, a)).toBeLessThanOrEqual(
              pValueFromIntScore(forward, b),
            );
          if (a > b)
            expect(scoreFromIntScore(forward, a)).toBeGreaterThan(scoreFromIntScore(forward, b));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the threshold is the least score with p ≤ the cut-off', () => {
    fc.assert(
      fc.property(motif(10), fc.double({ min: 1e-6, max: 0.5, noNaN: true }), (m, cut) => {
        const { forward } = makePwms(m);
        const t = intScoreThreshold(forward, cut);
        if (!Number.isFinite(t)) {
          expect(forward.pValues[forward.pValues.length - 1]!).toBeGreaterThan(cut);
          return;
        }
        expect(forward.pValues[t]!).toBeLessThanOrEqual(cut);
        if (t > 0) expect(forward.pValues[t - 1]!).toBeGreaterThan(cut);
      }),
      { numRuns: 200 },
    );
  });

  it('a uniform motif on a uniform background: every word has p = 1 (FIMO handles equal entries)', () => {
    const m: Motif = {
      id: 'flat',
      altName: '',
      width: 3,
      probabilities: new Float64Array(12).fill(0.25),
      nsites: 20,
    };
    const { forward } = makePwms(m);
    expect(pValueFromIntScore(forward, intScoreOfWindow(forward, [0, 1, 2], 0))).toBe(1);
  });

  it('the integer score tracks the log2-odds score within the rounding of w entries', () => {
    fc.assert(
      fc.property(
        motif(15),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 15, maxLength: 15 }),
        (m, codes) => {
          const { forward } = makePwms(m, { background: [0.275, 0.225, 0.225, 0.275] });
          let exact = 0;
          for (let i = 0; i < m.width; i++) exact += forward.logOdds[i * 4 + codes[i]!]!;
          const scaled = scoreFromIntScore(forward, intScoreOfWindow(forward, codes, 0));
          expect(Math.abs(scaled - exact)).toBeLessThanOrEqual(
            (0.5 * m.width) / forward.scale + 1e-9,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
