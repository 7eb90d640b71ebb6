import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedDataFile } from '@chromflow/core';
import {
  makeWindows,
  oneHotFromCodes,
  openFasta,
  readBed,
  readFragments,
  readGenes,
  readWindowCodes,
  sequenceCodesToTable,
} from '../src/index.js';
import { hasTool, run } from './tools.js';

const GENOME = sharedDataFile('genome', 'hg38_chr2_1-2333275', 'chr2_1-2333275.fa.gz');
const PEAKS = sharedDataFile(
  'genome',
  'hg38_chr2_1-2333275',
  'pbmc3k_atac_peaks_in_chr2_1-2333275.bed',
);
const FRAGS = sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.tsv.gz');

describe.skipIf(!GENOME || !PEAKS || !FRAGS)('README example', () => {
  it('runs as written on shared data', async () => {
    const fasta = await openFasta(GENOME!);
    const peaks = await readBed(PEAKS!, { chromSizes: fasta.chromSizes });
    const windows = makeWindows(peaks, fasta.chromSizes, { width: 1344, edge: 'pad' });
    const codes = await readWindowCodes(fasta, windows);
    const x = oneHotFromCodes(codes.codes, 1344);
    expect(x.length).toBe(71 * 1344 * 4);
    expect(sequenceCodesToTable({ ...windows, ...codes }).numRows).toBe(71);
    let n = 0;
    for await (const b of readFragments(FRAGS!, { batchSize: 1 << 16 })) n += b.length;
    expect(n).toBe(29_399);
    await fasta.close();
  });
});

// test-data/ is written by the simulator with our writers: check it with the outside tools.
const TEST_DATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test-data');
const has = (f: string): boolean => existsSync(join(TEST_DATA, f));

describe.skipIf(!has('fragments.tsv.gz') || !has('genome.fa') || !has('genes.gtf'))(
  'test-data written by the simulator',
  () => {
    it('fragments: every line read, tabix CLI agrees on a whole-chromosome query', async () => {
      const path = join(TEST_DATA, 'fragments.tsv.gz');
      let n = 0;
      let first: { chrom: string; count: number } | undefined;
      for await (const b of readFragments(path)) {
        n += b.length;
        if (!first && b.length > 0) {
          const chrom = b.chromNames[b.chromIds[0]!]!;
          let count = 0;
          for (let i = 0; i < b.length; i++) if (b.chromIds[i] === b.chromIds[0]) count++;
          first = { chrom, count };
        }
      }
      expect(n).toBe(Number(run('sh', ['-c', `gzip -dc '${path}' | grep -vc '^#'`]).trim()));
      if (hasTool('tabix') && first) {
        const lines = run('tabix', [path, first.chrom]).trimEnd().split('\n').length;
        expect(lines).toBeGreaterThanOrEqual(first.count);
      }
    });

    it('genome.fa opens with its .fai and genes.gtf yields genes inside it', async () => {
      const fa = await openFasta(join(TEST_DATA, 'genome.fa'), { writeIndex: false });
      const genes = await readGenes(join(TEST_DATA, 'genes.gtf'));
      expect(genes.length).toBeGreaterThan(0);
      for (let i = 0; i < genes.length; i++) {
        expect(genes.ends[i]).toBeLessThanOrEqual(fa.chromSizes.get(genes.chroms[i]!) ?? -1);
      }
      await fa.close();
    });
  },
);
