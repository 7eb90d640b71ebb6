import { dirname, join } from 'node:path';
import { sharedDataFile } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import { describePairing, pairBarcodes, readH5ad } from '../src/index.js';
import { scanLines } from '../src/text-lines.js';

describe('pairBarcodes', () => {
  it('pairs in RNA order and reports one-sided and duplicate barcodes', () => {
    const p = pairBarcodes(['a', 'b', 'c', 'a'], ['c', 'x', 'a', 'y', 'x']);
    expect(Array.from(p.rnaRows)).toEqual([0, 2]);
    expect(Array.from(p.atacRows)).toEqual([2, 0]);
    expect(p.rnaOnly).toEqual({ count: 1, examples: ['b'] });
    expect(p.atacOnly).toEqual({ count: 2, examples: ['x', 'y'] });
    expect(p.duplicates).toEqual({ rna: 1, atac: 1 });
    expect(describePairing(p)).toMatch(/2 cells paired.*1 RNA-only \(e\.g\. b\).*2 ATAC-only/);
  });
});

const rna = sharedDataFile('multiome', 'muon_pbmc_10x_multiome', 'rna.h5ad');
describe.skipIf(!rna)('muon PBMC multiome (paired)', () => {
  const dir = dirname(rna ?? '');
  it('all 600 RNA cells pair with the 600 ATAC cells', async () => {
    const r = await readH5ad(rna!);
    const a = await readH5ad(join(dir, 'atac_peaks.h5ad'));
    const p = pairBarcodes(r.obs.index, a.obs.index);
    expect(p.rnaRows.length).toBe(600);
    expect(p.rnaOnly.count + p.atacOnly.count).toBe(0);
  });

  // Figures checked with Python sets over h5py's obs/_index and the gzip'd fragments:
  // 13 cells have no fragment inside the 45 extracted gene loci (±5 kb).
  it('against the fragment file: 587 paired, 13 RNA-only, 23,528 ATAC-only (24,115 barcodes)', async () => {
    const r = await readH5ad(rna!);
    const seen = new Set<string>();
    await scanLines(join(dir, 'fragments.tsv.gz'), (l) => {
      if (l.startsWith('#') || l === '') return;
      const b = l.split('\t')[3];
      if (b) seen.add(b);
    });
    const p = pairBarcodes(r.obs.index, [...seen]);
    expect(seen.size).toBe(24115);
    expect(p.rnaRows.length).toBe(587);
    expect(p.rnaOnly.count).toBe(13);
    expect(p.rnaOnly.examples).toContain('AAATGCCTCTACCTCA-1');
    expect(p.atacOnly.count).toBe(24115 - 587);
    expect(p.atacOnly.examples).toHaveLength(5);
  });
});
