import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignBatches, plantBatchEffect } from '../src/batch-effect.js';
import { DEFAULT_FRAGMENTS } from '../src/fragment-sampler.js';
import { simulateDataset, type SimulateOptions } from '../src/dataset.js';
import { Random } from '../src/random.js';
import { writeBatchCellsFiles } from '../src/write-batch-cells.js';
import { readGzText } from './fixtures.js';

/** Two types of 60 cells on ~120 peaks, deep enough that the thinning rates can be read back. */
const SMALL: Partial<SimulateOptions> = {
  seed: 5,
  fragments: { ...DEFAULT_FRAGMENTS, medianDepth: 400 },
  chromosomes: [
    { name: 'chrA', length: 150_000 },
    { name: 'chrB', length: 90_000 },
  ],
  cellTypes: [
    { name: 'X', count: 61, activity: { GATA1: 1, CTCF: 1 } },
    { name: 'Y', count: 60, activity: { SPI1: 1, CTCF: 1 } },
  ],
  peakClasses: [
    { kind: 'tf', drivers: ['GATA1'], count: 40 },
    { kind: 'tf', drivers: ['SPI1'], count: 40 },
    { kind: 'constitutive', drivers: ['CTCF'], count: 20 },
    { kind: 'background', drivers: [], count: 20 },
  ],
};

const spec = {
  seed: 3,
  batches: [
    { name: 'a', depth: 1, captureSd: 0 },
    { name: 'b', depth: 0.4, captureSd: 0 },
  ],
};

describe('plantBatchEffect', () => {
  const ds = simulateDataset(SMALL);

  it('deals each type evenly over the batches (sizes differ by at most one per type)', () => {
    const types = ['X', 'X', 'Y', 'X', 'Y', 'Y', 'X', 'Z'];
    const b = assignBatches(types, 3, new Random(1));
    for (const t of ['X', 'Y']) {
      const counts = [0, 0, 0];
      types.forEach((x, i) => x === t && counts[b[i]!]!++);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  it('keeps a batch-1 fragment always at depth 1 and a batch-2 fragment at rate 0.4 (binomial 4 SD)', () => {
    const { dataset, truth } = plantBatchEffect(ds, spec);
    const count = (cells: Int32Array, b: number): number =>
      cells.reduce((s, c) => s + (truth.batchOf[c] === b ? 1 : 0), 0);
    expect(count(dataset.fragments.cells, 0)).toBe(count(ds.fragments.cells, 0));
    const n = count(ds.fragments.cells, 1);
    const kept = count(dataset.fragments.cells, 1);
    expect(Math.abs(kept - 0.4 * n)).toBeLessThan(4 * Math.sqrt(n * 0.4 * 0.6));
    expect(truth.fragmentsAfter).toBe(dataset.fragments.starts.length);
    // Every kept fragment is one of the originals.
    const key = (f: typeof ds.fragments, i: number): string =>
      `${f.chroms[i]}:${f.starts[i]}:${f.ends[i]}:${f.cells[i]}`;
    const before = new Set(
      Array.from({ length: ds.fragments.starts.length }, (_, i) => key(ds.fragments, i)),
    );
    for (let i = 0; i < dataset.fragments.starts.length; i++)
      expect(before.has(key(dataset.fragments, i))).toBe(true);
  });

  it('per-peak capture makes the peaks a batch sees differ: observed rate ratio follows keep', () => {
    const { dataset, truth } = plantBatchEffect(ds, {
      seed: 11,
      batches: [
        { name: 'a', depth: 0.8, captureSd: 1.5 },
        { name: 'b', depth: 0.8, captureSd: 1.5 },
      ],
    });
    const nP = ds.peaks.length;
    // Per peak, the batch-a minus batch-b log keep ratio correlates with the observed fraction difference.
    const frac = (b: number, p: number): number => {
      let s = 0;
      let n = 0;
      truth.batchOf.forEach((x, c) => {
        if (x !== b) return;
        n++;
        s += dataset.observed[c * nP + p]!;
      });
      return s / n;
    };
    const xs: number[] = [];
    const ys: number[] = [];
    for (let p = 0; p < nP; p++) {
      xs.push(Math.log(truth.keep[p]!) - Math.log(truth.keep[nP + p]!));
      ys.push(frac(0, p) - frac(1, p));
    }
    const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
    const mx = mean(xs);
    const my = mean(ys);
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    xs.forEach((x, i) => {
      sxy += (x - mx) * (ys[i]! - my);
      sxx += (x - mx) ** 2;
      syy += (ys[i]! - my) ** 2;
    });
    expect(sxy / Math.sqrt(sxx * syy)).toBeGreaterThan(0.5);
  });

  it('is deterministic in its seed', () => {
    const a = plantBatchEffect(ds, spec);
    const b = plantBatchEffect(ds, spec);
    expect(b.dataset.fragments.starts).toEqual(a.dataset.fragments.starts);
    expect(b.truth.batchOf).toEqual(a.truth.batchOf);
    const c = plantBatchEffect(ds, { ...spec, seed: 4 });
    expect(c.truth.batchOf).not.toEqual(a.truth.batchOf);
  });

  it('refuses one batch, a depth outside (0, 1] and repeated names, naming the field', () => {
    expect(() => plantBatchEffect(ds, { seed: 1, batches: [spec.batches[0]!] })).toThrow(
      /at least two/,
    );
    expect(() =>
      plantBatchEffect(ds, {
        seed: 1,
        batches: [spec.batches[0]!, { name: 'b', depth: 1.5, captureSd: 0 }],
      }),
    ).toThrow(expect.objectContaining({ field: 'batches[1].depth' }) as Error);
    expect(() =>
      plantBatchEffect(ds, { seed: 1, batches: [spec.batches[0]!, spec.batches[0]!] }),
    ).toThrow(/same name/);
  });

  it('writes peaks, fragments, cells with their batch and the truth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batch-cells-'));
    try {
      const { dataset, truth } = plantBatchEffect(ds, spec);
      const paths = {
        peaks: join(dir, 'peaks.bed'),
        fragments: join(dir, 'fragments.tsv.gz'),
        cells: join(dir, 'cells.tsv'),
        truth: join(dir, 'truth.json'),
      };
      await writeBatchCellsFiles(paths, dataset, truth);
      const cells = readFileSync(paths.cells, 'utf8').trim().split('\n');
      expect(cells[0]).toBe('barcode\tcell_type\tbatch');
      expect(cells.length - 1).toBe(ds.cells.length);
      expect(cells[1]).toBe(
        `${ds.cells[0]!.barcode}\t${ds.cells[0]!.cellType}\t${spec.batches[truth.batchOf[0]!]!.name}`,
      );
      const frags = readGzText(paths.fragments)
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('#'));
      expect(frags.length).toBe(truth.fragmentsAfter);
      const t = JSON.parse(readFileSync(paths.truth, 'utf8')) as {
        batches: {
          name: string;
          cellsPerType: Record<string, number>;
          keep: number[];
          meanPeakKeep: number;
        }[];
      };
      expect(t.batches.map((b) => b.name)).toEqual(['a', 'b']);
      expect(t.batches[0]!.cellsPerType['X']! + t.batches[1]!.cellsPerType['X']!).toBe(61);
      expect(t.batches[1]!.keep).toHaveLength(ds.peaks.length);
      expect(t.batches[1]!.meanPeakKeep).toBeCloseTo(0.4, 6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
