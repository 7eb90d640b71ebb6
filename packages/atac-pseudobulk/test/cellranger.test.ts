import { describe, expect, it } from 'vitest';
import { ChromflowError, sharedDataFile } from '@chromflow/core';
import { readBed } from '@chromflow/genome-io';
import { RegionCounter, requireCellsInFragments, scanFragments } from '../src/index.js';
import { readLines, readMtx, readTsv } from './reference-files.js';

const file = (name: string): string | undefined =>
  sharedDataFile('multiome', 'muon_pbmc_10x_multiome', name);
const fragments = file('fragments.tsv.gz');

describe.skipIf(!fragments)('muon PBMC multiome (GRCh38): cellranger-arc counts as oracle', () => {
  it('cellranger-cutsites equals cellranger-arc for all 600 cells × the 122 reproducible peaks', async () => {
    const peaks = await readBed(file('peaks.bed')!);
    const cells = readLines(file('barcodes.tsv')!);
    const meta = readTsv(file('peaks_meta.tsv')!);
    const reproducible = meta
      .map((m, j) => (m['cutsite_counts_reproduce_reference'] === '1' ? j : -1))
      .filter((j) => j >= 0);
    expect(reproducible).toHaveLength(122);
    const counter = new RegionCounter(peaks, { method: 'cellranger-cutsites' }, cells);
    await scanFragments(fragments!, [counter]);
    const { matrix } = counter.finish();
    const ref = readMtx(file('atac_peak_counts.mtx.gz')!); // peaks × cells
    expect([ref.nRows, ref.nCols]).toEqual([174, 600]);
    const ours = new Map<string, number>();
    for (let k = 0; k < matrix.rows.length; k++) {
      ours.set(`${matrix.cols[k]},${matrix.rows[k]}`, matrix.values[k]!);
    }
    let compared = 0;
    let mismatches = 0;
    let nonZero = 0;
    for (const j of reproducible) {
      for (let c = 0; c < cells.length; c++) {
        const want = ref.entries.get(`${j},${c}`) ?? 0;
        if (want !== 0) nonZero++;
        if ((ours.get(`${j},${c}`) ?? 0) !== want) mismatches++;
        compared++;
      }
    }
    expect(compared).toBe(122 * 600);
    expect(nonZero).toBeGreaterThan(1000);
    expect(mismatches).toBe(0);
  });

  it('names barcodes of the cell table that have no fragment', async () => {
    // 13 of the 600 cells have no fragment inside the 45 extracted gene loci.
    const cells = readLines(file('barcodes.tsv')!);
    const peaks = await readBed(file('peaks.bed')!);
    const counter = new RegionCounter(peaks, { method: 'cellranger-cutsites' }, cells);
    await scanFragments(fragments!, [counter]);
    const counts = counter.finish();
    let err: unknown;
    try {
      requireCellsInFragments(counts.barcodes, counts.nFragments, 'barcodes.tsv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChromflowError);
    const text = (err as ChromflowError).format();
    expect(text).toMatch(/13 of 600 barcodes of the cell table have no fragment/);
    const missing = counts.barcodes.filter((_, r) => counts.nFragments[r] === 0);
    expect(text).toContain(missing[0]);
  });
});
