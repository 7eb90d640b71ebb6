import { describe, expect, it } from 'vitest';
import { simulateDataset } from '../src/dataset.js';
import { sequencePosteriors } from '../src/sequence-posterior.js';
import { cellTypeOpenProbabilities, fittedTypeOpenProbabilities } from '../src/truth.js';

/** `kind:tf+tf` with the drivers sorted: what a hypothesis claims about a peak. */
function claim(kind: string, drivers: Iterable<string>): string {
  return `${kind}:${[...drivers].sort().join('+')}`;
}

// One fresh data set of the test-data design (another seed than test-data's).
const ds = simulateDataset({ seed: 7 });

describe('sequencePosteriors (on the default simulation, the test-data design)', () => {
  const posteriors = sequencePosteriors(ds);
  // Posterior mass of each peak's claims, promoters left out (their class is read from the TSS).
  const rows = ds.peaks.flatMap((peak, p) => {
    if (peak.kind === 'promoter') return [];
    const mass = new Map<string, number>();
    for (const h of posteriors[p]!) {
      const c = claim(h.kind, Object.keys(h.weights));
      mass.set(c, (mass.get(c) ?? 0) + h.probability);
    }
    return [{ truth: claim(peak.kind, peak.drivers), mass }];
  });

  it('is a distribution over hypotheses for every peak, and takes promoters as read', () => {
    posteriors.forEach((hs, p) => {
      const total = hs.reduce((s, h) => s + h.probability, 0);
      expect(total).toBeCloseTo(1, 9);
      if (ds.peaks[p]!.kind === 'promoter')
        expect(hs).toEqual([expect.objectContaining({ kind: 'promoter', probability: 1 })]);
    });
  });

  it('averages to the class frequencies (a posterior of the true model must, over data drawn from it)', () => {
    const freq = new Map<string, number>();
    const meanMass = new Map<string, number>();
    for (const r of rows) {
      freq.set(r.truth, (freq.get(r.truth) ?? 0) + 1 / rows.length);
      for (const [c, m] of r.mass) meanMass.set(c, (meanMass.get(c) ?? 0) + m / rows.length);
    }
    expect(freq.size).toBe(8);
    for (const [c, f] of freq) expect(Math.abs((meanMass.get(c) ?? 0) - f), c).toBeLessThan(0.02);
  });

  it('is calibrated: claims given probability p are true a fraction p of the time', () => {
    const bins = Array.from({ length: 5 }, () => ({ p: 0, hit: 0, n: 0 }));
    for (const r of rows)
      for (const [c, m] of r.mass) {
        const b = bins[Math.min(4, Math.floor(m * 5))]!;
        b.p += m;
        b.hit += c === r.truth ? 1 : 0;
        b.n++;
      }
    for (const b of bins) {
      expect(b.n).toBeGreaterThan(100);
      expect(Math.abs(b.hit / b.n - b.p / b.n)).toBeLessThan(0.05);
    }
  });

  it('reads the long CTCF motif almost always, and the short AP-1 motif less often', () => {
    const mean = (truth: string): number => {
      const own = rows.filter((r) => r.truth === truth);
      return own.reduce((s, r) => s + (r.mass.get(truth) ?? 0), 0) / own.length;
    };
    expect(mean('constitutive:CTCF')).toBeGreaterThan(0.9);
    expect(mean('tf:FOS::JUN')).toBeLessThan(mean('constitutive:CTCF'));
    expect(mean('tf:FOS::JUN')).toBeGreaterThan(0.4);
  });
});

describe('fittedTypeOpenProbabilities (on the default simulation)', () => {
  const fitted = fittedTypeOpenProbabilities(ds);
  const truth = cellTypeOpenProbabilities(ds);
  const nPeaks = ds.peaks.length;

  it('gives every cell of a type the same estimate, and estimates the true type means of π without bias', () => {
    let error = 0;
    let absError = 0;
    let n = 0;
    ds.cells.forEach((cell, c) => {
      const first = ds.cells.findIndex((x) => x.cellType === cell.cellType);
      for (let p = 0; p < nPeaks; p++) {
        expect(fitted[c * nPeaks + p]).toBe(fitted[first * nPeaks + p]);
        if (c !== first) continue;
        const e = fitted[c * nPeaks + p]! - truth.get(cell.cellType)![p]!;
        error += e;
        absError += Math.abs(e);
        n++;
      }
    });
    // ~70 training cells a type: each estimate is off by ~0.06 (sampling), but not
    // systematically (a wrong observation model, e.g. without the leak, biases it by 0.06).
    expect(Math.abs(error / n)).toBeLessThan(0.01);
    expect(absError / n).toBeLessThan(0.07);
  });
});
