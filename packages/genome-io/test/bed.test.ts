import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ChromflowError, sharedDataFile } from '@chromflow/core';
import { readBed, regionsFromTable, regionsToTable } from '../src/index.js';
import { run, tempDir } from './tools.js';

const PEAKS = sharedDataFile(
  'genome',
  'hg38_chr2_1-2333275',
  'pbmc_granulocyte_sorted_3k_atac_peaks.bed',
);
const ARCHR = sharedDataFile('atac', 'archr_pbsmall_hg19', 'peak_matrix_archr_peaks.bed');

describe.skipIf(!PEAKS)('10x PBMC 3k peak set (156,607 BED3 peaks)', () => {
  it('reads every peak; count and total span equal awk', async () => {
    const r = await readBed(PEAKS!);
    const [n, bp] = run('awk', ['-F', '\t', '{n++; s+=$3-$2} END {print n"\\t"s}', PEAKS!])
      .trim()
      .split('\t')
      .map(Number);
    expect(r.length).toBe(n);
    let total = 0;
    for (let i = 0; i < r.length; i++) total += r.ends[i]! - r.starts[i]!;
    expect(total).toBe(bp);
    expect(r.names[0]).toBe(`${r.chromNames[0]}:${r.starts[0]}-${r.ends[0]}`);
    const back = regionsFromTable(regionsToTable(r));
    expect(back.starts).toEqual(r.starts);
    expect(back.names).toEqual(r.names);
  });
});

describe.skipIf(!ARCHR)('ArchR peak BED', () => {
  it('reads 2142 fixed-width 501-bp peaks', async () => {
    const r = await readBed(ARCHR!);
    expect(r.length).toBe(2142);
    for (let i = 0; i < r.length; i++) expect(r.ends[i]! - r.starts[i]!).toBe(501);
  });
});

describe('narrowPeak and bedGraph', () => {
  it('reads the ENCODE narrowPeak columns and bedGraph values, gzip too', async () => {
    const dir = tempDir();
    const np = join(dir, 'x.narrowPeak.gz');
    writeFileSync(
      np,
      gzipSync(
        'track name=x\nchr1\t100\t300\tpeak1\t1000\t.\t12.5\t-1\t3.2\t150\nchr1\t400\t500\tpeak2\t0\t+\t1\t2\t3\t-1\n',
      ),
    );
    const r = await readBed(np, { flavour: 'narrowPeak' });
    expect(r.names).toEqual(['peak1', 'peak2']);
    expect(Array.from(r.columns['signalValue'] as Float64Array)).toEqual([12.5, 1]);
    expect(Array.from(r.columns['peak'] as Float64Array)).toEqual([150, -1]);
    expect(r.columns['strand']).toEqual(['.', '+']);
    const bg = join(dir, 'x.bedGraph');
    writeFileSync(bg, 'chr2\t0\t10\t0.5\nchr2\t10\t20\t-1e3');
    const g = await readBed(bg, { flavour: 'bedGraph' });
    expect(Array.from(g.columns['value'] as Float64Array)).toEqual([0.5, -1000]);
    const t = regionsToTable(g);
    expect(t.getChild('value')!.toArray()).toEqual(Float64Array.from([0.5, -1000]));
  });
});

describe('malformed BED: one clear ChromflowError naming file, line and column', () => {
  const good = 'chr1\t10\t20\n';
  const cases: [string, string | Buffer, string, number | undefined, number | undefined][] = [
    ['missing columns', `${good}chr1\t30\n`, 'PARSE', 2, undefined],
    ['spaces instead of tabs', 'chr1 10 20\n', 'PARSE', 1, 1],
    ['column count changes', `${good}chr1\t30\t40\tname\n`, 'PARSE', 2, undefined],
    ['negative start', `${good}chr1\t-5\t40\n`, 'VALUE', 2, 6],
    ['reversed coordinates', `${good}chr1\t50\t40\n`, 'VALUE', 2, 6],
    ['zero-length interval', `${good}chr1\t50\t50\n`, 'VALUE', 2, 6],
    ['non-integer start', `${good}chr1\t1.5\t40\n`, 'PARSE', 2, 6],
    ['CRLF line ends', 'chr1\t10\t20\r\n', 'PARSE', 1, undefined],
    ['bad strand', 'chr1\t10\t20\tn\t0\tx\n', 'PARSE', 1, 16],
    ['empty file', '', 'EMPTY', undefined, undefined],
    ['header only', 'track name=x\n#c\n', 'EMPTY', undefined, undefined],
    [
      'truncated gzip',
      Buffer.from(
        gzipSync(
          Array.from({ length: 20_000 }, (_, i) => `chr1\t${i}\t${i + 1 + (i % 97)}\n`).join(''),
        ).subarray(0, 20_000),
      ),
      'IO',
      undefined,
      undefined,
    ],
  ];
  it.each(cases)('%s', async (_name, content, code, line, column) => {
    const dir = tempDir();
    const path = join(dir, 'peaks.bed');
    writeFileSync(path, content);
    const err = await readBed(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChromflowError);
    expect(err).toMatchObject({ code, path });
    if (line !== undefined) expect((err as ChromflowError).line).toBe(line);
    if (column !== undefined) expect((err as ChromflowError).column).toBe(column);
  });

  it('unknown chromosome and end past the chromosome when sizes are given', async () => {
    const dir = tempDir();
    const path = join(dir, 'p.bed');
    writeFileSync(path, 'chr1\t10\t20\nchr9\t1\t5\n');
    const chromSizes = new Map([['chr1', 100]]);
    await expect(readBed(path, { chromSizes })).rejects.toMatchObject({
      code: 'VALUE',
      line: 2,
      field: 'chrom',
    });
    writeFileSync(path, 'chr1\t10\t101\n');
    await expect(readBed(path, { chromSizes })).rejects.toMatchObject({
      code: 'VALUE',
      line: 1,
      field: 'end',
    });
  });

  it('a missing file is an IO error naming it', async () => {
    await expect(readBed('/nonexistent/peaks.bed')).rejects.toMatchObject({
      code: 'IO',
      path: '/nonexistent/peaks.bed',
    });
  });
});
