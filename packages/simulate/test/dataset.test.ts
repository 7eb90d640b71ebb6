import { describe, expect, it } from 'vitest';
import { DEFAULT_FRAGMENTS } from '../src/fragment-sampler.js';
import { DEFAULT_SIMULATION, scaleSimulation, simulateDataset } from '../src/dataset.js';
import type { SimulateOptions } from '../src/dataset.js';
import { formatGtf } from '../src/gene-model.js';
import { overlapsAny, sliceText } from '../src/genome-model.js';
import { reverseComplement } from '../src/motif-models.js';
import { formatMatrixMarket } from '../src/rna-model.js';
import { observationProbabilities, sequenceTypeDepthProbabilities } from '../src/truth.js';

/**
 * A small variant: two short chromosomes, 40 cells, ~140 peaks (well under a
 * second). Depth is scaled with the peak count (750 fragments for 1,089 peaks
 * by default), so per-peak yield and background density stay as in test-data.
 */
const SMALL: Partial<SimulateOptions> = {
  seed: 42,
  fragments: { ...DEFAULT_FRAGMENTS, medianDepth: 100 },
  chromosomes: [
    { name: 'chrA', length: 150_000 },
    { name: 'chrB', length: 90_000 },
  ],
  cellTypes: [
    { name: 'X', count: 20, activity: { GATA1: 1, CTCF: 1 } },
    { name: 'Y', count: 20, activity: { SPI1: 1, CTCF: 1 } },
  ],
  peakClasses: [
    { kind: 'tf', drivers: ['GATA1'], count: 40 },
    { kind: 'tf', drivers: ['SPI1'], count: 40 },
    { kind: 'constitutive', drivers: ['CTCF'], count: 20 },
    { kind: 'background', drivers: [], count: 20 },
  ],
};

describe('simulateDataset (small variant)', () => {
  const ds = simulateDataset(SMALL);

  it('is a pure function of its options: same seed, same arrays; another seed, other data', () => {
    const again = simulateDataset(SMALL);
    expect(again.fragments.starts).toEqual(ds.fragments.starts);
    expect(again.fragments.cells).toEqual(ds.fragments.cells);
    expect(again.rnaCounts).toEqual(ds.rnaCounts);
    expect(sliceText(again.chroms[0]!.seq, 0, 150_000)).toBe(
      sliceText(ds.chroms[0]!.seq, 0, 150_000),
    );
    const other = simulateDataset({ ...SMALL, seed: 43 });
    expect(
      other.fragments.starts.length === ds.fragments.starts.length &&
        other.fragments.starts.every((s, i) => s === ds.fragments.starts[i]),
    ).toBe(false);
  });

  it('places sorted, non-overlapping peaks of 300–800 bp away from N runs', () => {
    expect(ds.peaks.length).toBeGreaterThan(120);
    for (const chrom of ds.chroms) {
      const peaks = ds.peaks.filter((p) => p.chrom === chrom.name);
      for (let i = 0; i < peaks.length; i++) {
        const p = peaks[i]!;
        expect(p.end - p.start).toBeGreaterThanOrEqual(300);
        expect(p.end - p.start).toBeLessThanOrEqual(800);
        expect(p.summit >= p.start && p.summit < p.end).toBe(true);
        expect(overlapsAny(chrom.gaps, p.start, p.end, 500)).toBe(false);
        if (i > 0) expect(p.start).toBeGreaterThanOrEqual(peaks[i - 1]!.end + 300);
        expect(sliceText(chrom.seq, p.start, p.end)).not.toMatch(/[acgtN]/);
      }
    }
  });

  it('writes every planted site into the genome at its position', () => {
    const chrom = new Map(ds.chroms.map((c) => [c.name, c]));
    expect(ds.instances.length).toBeGreaterThan(80);
    for (const m of ds.instances) {
      const text = sliceText(chrom.get(m.chrom)!.seq, m.start, m.end);
      expect(m.strand === '+' ? text : reverseComplement(text)).toBe(m.sequence);
    }
  });

  it('samples sorted fragments inside chromosomes and outside N runs', () => {
    const f = ds.fragments;
    for (let i = 0; i < f.starts.length; i++) {
      const chrom = ds.chroms[f.chroms[i]!]!;
      const ok =
        f.starts[i]! >= 0 &&
        f.starts[i]! < f.ends[i]! &&
        f.ends[i]! <= chrom.seq.length &&
        !overlapsAny(chrom.gaps, f.starts[i]!, f.ends[i]!) &&
        f.counts[i]! >= 1 &&
        (i === 0 ||
          f.chroms[i - 1]! < f.chroms[i]! ||
          (f.chroms[i - 1] === f.chroms[i] && f.starts[i - 1]! <= f.starts[i]!));
      if (!ok)
        expect.fail(
          `fragment ${i} (${chrom.name}:${f.starts[i]}-${f.ends[i]}) breaks an invariant`,
        );
    }
  });

  it('binarises counts exactly as a brute-force scan of insertions over all peaks', () => {
    const nP = ds.peaks.length;
    const y = new Uint8Array(ds.cells.length * nP);
    const f = ds.fragments;
    for (let i = 0; i < f.starts.length; i++) {
      const name = ds.chroms[f.chroms[i]!]!.name;
      ds.peaks.forEach((p, j) => {
        if (p.chrom !== name) return;
        const s = f.starts[i]!;
        const e = f.ends[i]! - 1;
        if ((s >= p.start && s < p.end) || (e >= p.start && e < p.end)) y[f.cells[i]! * nP + j] = 1;
      });
    }
    expect(y).toEqual(ds.observed);
  });

  it('opens TF peaks in the type where the TF acts and predicts the positive rate', () => {
    const nP = ds.peaks.length;
    const mean = (type: string, tf: string): number => {
      let s = 0;
      let n = 0;
      ds.cells.forEach((c, i) => {
        if (c.cellType !== type) return;
        ds.peaks.forEach((p, j) => {
          if (p.kind === 'tf' && p.drivers[0] === tf) {
            s += ds.observed[i * nP + j]!;
            n++;
          }
        });
      });
      return s / n;
    };
    expect(mean('X', 'GATA1')).toBeGreaterThan(3 * mean('Y', 'GATA1'));
    expect(mean('Y', 'SPI1')).toBeGreaterThan(3 * mean('X', 'SPI1'));
    const p = observationProbabilities(ds);
    const expected = p.reduce((a, b) => a + b, 0) / p.length;
    const observed = ds.observed.reduce((a, b) => a + b, 0) / ds.observed.length;
    expect(Math.abs(expected - observed)).toBeLessThan(0.02);
    // The unseen-peak reference averages b_p and h_p over their priors: still calibrated.
    const q = sequenceTypeDepthProbabilities(ds);
    expect(Math.abs(q.reduce((a, b) => a + b, 0) / q.length - observed)).toBeLessThan(0.03);
  });

  it('formats a GTF with gene, transcript and exon lines (1-based) and an MTX with the shape in its header', () => {
    const gtf = formatGtf(ds.genes).trim().split('\n');
    const exons = ds.genes.reduce((s, g) => s + g.exons.length, 0);
    expect(gtf.length).toBe(2 + 2 * ds.genes.length + exons);
    const first = gtf[2]!.split('\t');
    expect([first[2], Number(first[3]), Number(first[4])]).toEqual([
      'gene',
      ds.genes[0]!.start + 1,
      ds.genes[0]!.end,
    ]);
    const mtx = formatMatrixMarket(ds.rnaCounts, ds.cells.length, ds.genes.length).split('\n');
    const nnz = ds.rnaCounts.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
    expect(mtx[2]).toBe(`${ds.genes.length} ${ds.cells.length} ${nnz}`);
  });
});

describe('simulateDataset (bad options)', () => {
  it('refuses more peaks than the chromosomes hold, naming the field', () => {
    let err: unknown;
    try {
      simulateDataset({ ...SMALL, chromosomes: [{ name: 'chrA', length: 30_000 }] });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'ChromflowError', code: 'PARAM', field: 'peakClasses' });
  });

  it('refuses a peak class whose driver has no motif', () => {
    expect(() =>
      simulateDataset({ ...SMALL, peakClasses: [{ kind: 'tf', drivers: ['NOPE'], count: 3 }] }),
    ).toThrow(/driver 'NOPE' has no driver motif/);
  });
});

describe('scaleSimulation', () => {
  it('scales genome, peaks of every class and per-cell depth; cells stay; scale 1 is the identity', () => {
    const twice = scaleSimulation(DEFAULT_SIMULATION, 2);
    expect(twice.chromosomes.map((c) => c.length)).toEqual(
      DEFAULT_SIMULATION.chromosomes.map((c) => 2 * c.length),
    );
    expect(twice.peakClasses.map((p) => p.count)).toEqual(
      DEFAULT_SIMULATION.peakClasses.map((p) => 2 * p.count),
    );
    expect(twice.fragments.medianDepth).toBe(2 * DEFAULT_SIMULATION.fragments.medianDepth);
    expect(twice.cellTypes).toEqual(DEFAULT_SIMULATION.cellTypes);
    expect(scaleSimulation(DEFAULT_SIMULATION, 1)).toEqual(DEFAULT_SIMULATION);
    expect(() => scaleSimulation(DEFAULT_SIMULATION, 0)).toThrow(/positive/);
  });

  it('keeps labels as dense at a larger scale: open-peak fragments per cell follow the depth', () => {
    const base = simulateDataset(SMALL);
    const opts = scaleSimulation({ ...DEFAULT_SIMULATION, ...SMALL }, 2);
    const big = simulateDataset(opts);
    const perPeak = (d: typeof base): number => d.fragments.starts.length / d.peaks.length;
    expect(big.peaks.length).toBeGreaterThan(1.9 * base.peaks.length);
    expect(big.cells.length).toBe(base.cells.length);
    expect(Math.abs(perPeak(big) / perPeak(base) - 1)).toBeLessThan(0.1);
  });
});
