import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChromflowError, sharedDataFile } from '@chromflow/core';
import { readBed } from '@chromflow/genome-io';
import { RegionCounter, readFragmentsThreaded, scanFragments } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'atac-threaded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasBedtools = spawnSync('bedtools', ['--version']).status === 0;

describe('fragments read in a worker thread', () => {
  const pbsmall = sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.tsv.gz');
  it.skipIf(!pbsmall || !hasBedtools)(
    'fragment-overlap column sums equal bedtools intersect -c on ArchR PBSmall',
    async () => {
      const peaks = sharedDataFile('atac', 'archr_pbsmall_hg19', 'peak_matrix_archr_peaks.bed')!;
      const counter = new RegionCounter(await readBed(peaks), { method: 'fragment-overlap' });
      const n = await scanFragments(pbsmall!, [counter], {
        thread: true,
        fallback: false,
        batchSize: 4096,
      });
      expect(n).toBe(29399);
      const { matrix } = counter.finish();
      const sums = new Array<number>(matrix.nCols).fill(0);
      for (let k = 0; k < matrix.cols.length; k++) sums[matrix.cols[k]!]! += matrix.values[k]!;
      const out = spawnSync('bedtools', ['intersect', '-c', '-a', peaks, '-b', pbsmall!], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      }).stdout;
      expect(sums).toEqual(
        out
          .trim()
          .split('\n')
          .map((l) => Number(l.split('\t').at(-1))),
      );
    },
  );

  it('passes the reader error through with its code, file and line', async () => {
    const path = join(dir, 'unsorted.tsv');
    writeFileSync(path, 'chr1\t100\t200\tA\t1\nchr1\t150\t250\tB\t1\nchr1\t50\t90\tA\t1\n');
    const read = async () => {
      for await (const b of readFragmentsThreaded(path, { thread: true, fallback: false })) void b;
    };
    const e = await read().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChromflowError);
    expect(e).toMatchObject({ code: 'UNSORTED', path, line: 3 });
  });
});
