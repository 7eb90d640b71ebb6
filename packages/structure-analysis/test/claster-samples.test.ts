import { describe, expect, it } from 'vitest';
import { type TrackSource, makeClasterSamples } from '../src/index.js';

/** An in-memory bedGraph track: one interval of value `v` per chromosome at [s, e). */
function track(
  name: string,
  chroms: [string, number][],
  s: number,
  e: number,
  v: number,
): TrackSource {
  return {
    name,
    chroms: new Map(chroms),
    fetch: (_c, lo, hi) =>
      Promise.resolve(
        e > lo && s < hi
          ? { starts: [s], ends: [e], values: [v] }
          : { starts: [], ends: [], values: [] },
      ),
  };
}

const hg = (): [string, number][] => [
  ['chr1', 2_000_000],
  ['chr4', 2_000_000],
  ['chr17', 2_000_000],
];

describe('CLASTER samples', () => {
  it('table, track-major arrays, splits by chromosome, off-chromosome windows counted', async () => {
    // value 7 on [1,000,000, 1,000,100): the TSS bin of a + gene at 1,000,050
    const a = track('ATAC', hg(), 1_000_000, 1_000_100, 7);
    const k = track('H3K4me3', hg(), 1_000_000, 1_001_000, 2);
    const eu = track('EU', hg(), 999_550, 1_000_550, 4);
    const s = await makeClasterSamples(
      [
        { gene: 'A', chrom: 'chr1', strand: '+', tss: 1_000_050 },
        { gene: 'B', chrom: 'chr4', strand: '-', tss: 1_000_050 },
        { gene: 'C', chrom: 'chr17', strand: '+', tss: 100_000 },
      ],
      [a, k],
      eu,
    );
    expect(s.table.numRows).toBe(3);
    expect(s.table.getChild('split')!.toArray()).toEqual(['train', 'test', 'validation']);
    expect(s.windowsOffChromosome).toBe(1);
    // gene C at 100,000: bins starting below 0 = ceil(400,050 / 100) = 4,001
    expect(Array.from(s.table.getChild('masked_bins')!.toArray() as Int32Array)).toEqual([
      0, 0, 4001,
    ]);
    const nb = 10_001;
    expect(s.landscape.length).toBe(3 * 2 * nb);
    expect(s.landscape[0 * nb + 5000]).toBe(7); // gene A, ATAC, TSS bin
    expect(s.landscape[1 * nb + 5009]).toBe(2); // gene A, H3K4me3, 9 bins downstream
    expect(s.landscape[1 * nb + 5010]).toBe(0);
    expect(s.landscape[3 * nb + 4991]).toBe(2); // gene B (− strand): downstream in genome = lower index
    expect(s.targets![200]).toBe(4); // EU 1 kb centred on the TSS bin of gene A
    expect(s.landscapeMask[2 * nb + 4000]).toBe(0);
    expect(s.landscapeMask[2 * nb + 4001]).toBe(1);
  });

  it('tracks of different builds or missing the chromosome are VALUE errors', async () => {
    const a = track('ATAC', hg(), 0, 10, 1);
    const hg38 = track('H3K27ac', [['chr1', 2_100_000]], 0, 10, 1);
    const gene = [{ gene: 'A', chrom: 'chr4', strand: '+' as const, tss: 1_000_000 }];
    await expect(makeClasterSamples(gene, [a, hg38], undefined)).rejects.toThrow(
      /different genome builds/,
    );
    const noChr4 = track('H3K27ac', [['chr1', 2_000_000]], 0, 10, 1);
    await expect(makeClasterSamples(gene, [a, noChr4], undefined)).rejects.toThrow(
      /lacks the chromosome/,
    );
  });
});
