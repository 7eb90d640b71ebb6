import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChromflowError, sharedDataFile } from '@chromflow/core';
import {
  bgzfFromBytes,
  bgzfToBytes,
  fragmentBatchColumns,
  fragmentBatchFromColumns,
  readFragments,
  readFragmentsInRegion,
  writeTabixIndex,
} from '../src/index.js';
import type { FragmentBatch } from '../src/index.js';
import { hasTool, parseTbi, run, tempDir } from './tools.js';

const HAS_TABIX = hasTool('tabix');
const MUON = sharedDataFile('multiome', 'muon_pbmc_10x_multiome', 'fragments.tsv.gz');
const PBSMALL = sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.tsv.gz');

async function collect(path: string, batchSize?: number) {
  const batches: FragmentBatch[] = [];
  for await (const b of readFragments(path, { batchSize })) batches.push(b);
  return batches;
}

function lines(batches: FragmentBatch[]): string[] {
  const out: string[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      out.push(
        `${b.chromNames[b.chromIds[i]!]}\t${b.starts[i]}\t${b.ends[i]}\t${b.barcodes[b.barcodeIds[i]!]}\t${b.counts[i]}`,
      );
    }
  }
  return out;
}

describe.each([
  ['muon PBMC multiome', MUON, 356_434, 24_115],
  ['ArchR PBSmall', PBSMALL, 29_399, 150],
] as const)('%s fragments', (_label, path, nFragments, nBarcodes) => {
  it.skipIf(!path)(
    `streams all ${nFragments} fragments and ${nBarcodes} barcodes, equal to zcat line by line`,
    async () => {
      const progress: number[] = [];
      const batches: FragmentBatch[] = [];
      for await (const b of readFragments(path!, {
        batchSize: 50_000,
        onProgress: (d) => progress.push(d),
      }))
        batches.push(b);
      const n = batches.reduce((a, b) => a + b.length, 0);
      expect(n).toBe(nFragments);
      expect(batches.at(-1)!.barcodes.length).toBe(nBarcodes);
      const zcat = run('sh', ['-c', `gzip -dc '${path!}' | grep -v '^#' | cut -f1-5`])
        .trimEnd()
        .split('\n');
      const ours = lines(batches);
      expect(ours.length).toBe(zcat.length);
      // one string comparison: toEqual on 356k-element arrays costs seconds
      expect(ours.join('\n') === zcat.join('\n')).toBe(true);
      expect(progress.at(-1)).toBe(readFileSync(path!).length);
    },
  );

  it.skipIf(!path || !HAS_TABIX)(
    'region queries equal the tabix CLI (seeded, edge-biased)',
    async () => {
      const all = lines(await collect(path!));
      const chroms = [...new Set(all.map((l) => l.split('\t')[0]!))];
      const starts = all.map((l) => Number(l.split('\t')[1]));
      const regions = fc.sample(
        fc.record({
          chrom: fc.constantFrom(...chroms),
          start: fc.oneof(
            fc.constantFrom(...starts.slice(0, 500)),
            fc.integer({ min: 0, max: 2e8 }),
          ),
          len: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 200_000 })),
        }),
        { numRuns: 25, seed: 99 },
      );
      for (const r of regions) {
        const b = await readFragmentsInRegion(path!, {
          chrom: r.chrom,
          start: r.start,
          end: r.start + r.len,
        });
        const cli = run('tabix', [path!, `${r.chrom}:${r.start + 1}-${r.start + r.len}`]).trimEnd();
        expect(lines([b])).toEqual(
          cli === '' ? [] : cli.split('\n').map((l) => l.split('\t').slice(0, 5).join('\t')),
        );
      }
    },
  );

  it.skipIf(!path)(
    'our .tbi has the bins and chunks of the one shipped with the file (htslib)',
    async () => {
      const dir = tempDir();
      const copy = join(dir, 'f.tsv.gz');
      copyFileSync(path!, copy);
      await writeTabixIndex(copy);
      const ours = bgzfToBytes(readFileSync(`${copy}.tbi`));
      const theirs = bgzfToBytes(readFileSync(`${path!}.tbi`));
      expect(ours.length).toBe(theirs.length);
      // htslib writes bins in hash-table order: compare with bins sorted. These .tbi were
      // written by older htslib builds (pysam, Rsamtools) whose linear index marks some
      // extra 16-kb windows; bins, chunks, pseudo-bins and the linear index length must
      // agree (against the current `tabix -p bed` everything agrees: writers.test.ts).
      type Tbi = { head: number[]; names: string; refs: { bins: unknown[]; linear: string[] }[] };
      const a = parseTbi(ours) as Tbi;
      const b = parseTbi(theirs) as Tbi;
      expect(a.head).toEqual(b.head);
      expect(a.names).toEqual(b.names);
      expect(a.refs.map((r) => r.bins)).toEqual(b.refs.map((r) => r.bins));
      expect(a.refs.map((r) => r.linear.length)).toEqual(b.refs.map((r) => r.linear.length));
    },
  );
});

describe('malformed fragments: one clear ChromflowError naming file and line', () => {
  const good = 'chr1\t10\t20\tAAA-1\t1\n';
  // 20,000 distinct sorted lines (~600 kB): compressed well above one BGZF block
  const many = Buffer.from(
    Array.from(
      { length: 20_000 },
      (_, i) =>
        `chr1\t${i * 13}\t${i * 13 + 50 + ((i * 7919) % 500)}\tBC${(i * 104729) % 9973}-1\t${1 + (i % 4)}\n`,
    ).join(''),
  );
  const halve = (b: Uint8Array) => Buffer.from(b.subarray(0, Math.floor(b.length / 2)));
  const cases: [string, string | Buffer, string, number | undefined][] = [
    ['missing columns', `${good}chr1\t30\t40\n`, 'PARSE', 2],
    ['negative start', `${good}chr1\t-5\t40\tA\t1\n`, 'PARSE', 2],
    ['reversed coordinates', `${good}chr1\t50\t40\tA\t1\n`, 'VALUE', 2],
    ['non-integer end', `${good}chr1\t30\t4x\tA\t1\n`, 'PARSE', 2],
    ['CRLF line ends', `chr1\t10\t20\tAAA-1\t1\r\nchr1\t11\t20\tA\t1\r\n`, 'PARSE', 1],
    ['CRLF with 4 columns', `chr1\t10\t20\tAAA-1\r\n`, 'PARSE', 1],
    ['unsorted starts', `${good}chr1\t5\t40\tA\t1\n`, 'UNSORTED', 2],
    ['chromosome seen again', `${good}chr2\t5\t40\tA\t1\nchr1\t50\t60\tA\t1\n`, 'UNSORTED', 3],
    ['empty file', '', 'EMPTY', undefined],
    ['header only', '# id=x\n', 'EMPTY', undefined],
    ['truncated gzip', halve(gzipSync(many)), 'IO', undefined],
    ['truncated bgzip', halve(bgzfFromBytes(many).data), 'IO', undefined],
    [
      'not gzip after magic',
      Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
      'PARSE',
      undefined,
    ],
  ];
  it.each(cases)('%s', async (_name, content, code, line) => {
    const dir = tempDir();
    const path = join(dir, 'fragments.tsv');
    writeFileSync(path, content);
    const err = await collect(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChromflowError);
    expect(err).toMatchObject({ code, path });
    if (line !== undefined) expect((err as ChromflowError).line).toBe(line);
    expect((err as ChromflowError).format()).toContain(path);
  });

  it('unknown chromosome and end past the chromosome with sizes given', async () => {
    const dir = tempDir();
    const path = join(dir, 'f.tsv');
    writeFileSync(path, 'chr1\t10\t20\tA\t1\nchrUn\t1\t5\tA\t1\n');
    const sizes = new Map([['chr1', 100]]);
    const read = async () => {
      for await (const _ of readFragments(path, { chromSizes: sizes })) void _;
    };
    await expect(read()).rejects.toMatchObject({ code: 'VALUE', line: 2, field: 'chrom' });
    writeFileSync(path, 'chr1\t10\t200\tA\t1\n');
    await expect(read()).rejects.toMatchObject({ code: 'VALUE', line: 1, field: 'end' });
  });

  it('4-column files count 1, header lines are skipped, no final newline is fine, line numbers are kept', async () => {
    const dir = tempDir();
    const path = join(dir, 'f.tsv');
    writeFileSync(path, '# a\n# b\nchr1\t10\t20\tA\nchr1\t10\t21\tB\t3');
    const [b] = await collect(path);
    expect(Array.from(b!.counts)).toEqual([1, 3]);
    expect(Array.from(b!.lineNumbers)).toEqual([3, 4]);
    expect(b!.barcodes).toEqual(['A', 'B']);
  });
});

describe('fragment batch columns (what a worker thread posts)', () => {
  it('rebuild the batch the file gives, the text lines unchanged; 5 columns are refused', async () => {
    const dir = tempDir();
    const path = join(dir, 'f.tsv');
    const text = 'chr1\t10\t20\tA\t2\nchr1\t12\t30\tB\t1\nchr2\t5\t9\tA\t4\n';
    writeFileSync(path, text);
    const [b] = await collect(path);
    const columns = fragmentBatchColumns(b!).map((c) => c.slice());
    const copy = fragmentBatchFromColumns(columns, [...b!.chromNames], [...b!.barcodes]);
    expect(lines([copy])).toEqual(text.trimEnd().split('\n'));
    expect(Array.from(copy.lineNumbers)).toEqual([1, 2, 3]);
    expect(() => fragmentBatchFromColumns(columns.slice(0, 5), [], [])).toThrow(RangeError);
  });
});
