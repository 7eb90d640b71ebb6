import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '@chromflow/core';
import { writeBigWig } from '@chromflow/genome-io';
import { describe, expect, it } from 'vitest';
import { clasterInputsStage, parseNpy, writeCooler } from '../src/index.js';
import { runStage } from './stage-context.js';

const LEN = 1_200_000;

/** A bigWig with one interval [s, e) of value v on each chromosome. */
async function bigWig(path: string, chroms: [string, number][], s: number, e: number, v: number) {
  await writeBigWig(path, {
    chroms: chroms.map(([name, length]) => ({ name, length })),
    intervals: new Map(
      chroms.map(([c]) => [
        c,
        { starts: Int32Array.of(s), ends: Int32Array.of(e), values: Float32Array.of(v) },
      ]),
    ),
  });
}

/** Two genes: A (+) in the middle of chr1, B (−) 100 kb from chr4's start (its window runs off). */
const GTF = [
  [
    'chr1',
    's',
    'gene',
    600_001,
    610_000,
    '.',
    '+',
    '.',
    'gene_id "A"; gene_type "protein_coding";',
  ],
  ['chr4', 's', 'gene', 90_001, 100_000, '.', '-', '.', 'gene_id "B"; gene_type "protein_coding";'],
]
  .map((r) => r.join('\t'))
  .join('\n');

async function fixture(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'claster-inputs-'));
  const chroms: [string, number][] = [
    ['chr1', LEN],
    ['chr4', LEN],
  ];
  await mkdir(join(dir, 'tracks'));
  await bigWig(join(dir, 'tracks', 'ATAC.bw'), chroms, 599_950, 600_050, 5);
  await bigWig(join(dir, 'tracks', 'H3K4me3.bw'), chroms, 599_000, 601_000, 2);
  await bigWig(join(dir, 'tracks', 'H3K27ac.bw'), chroms, 0, 10, 1);
  // a bedGraph track is read too (it takes the bigWigs' chromosome lengths)
  await writeFile(join(dir, 'tracks', 'H3K27me3.bedGraph'), 'chr4\t99000\t100000\t3\n');
  await bigWig(join(dir, 'eu.bw'), chroms, 0, LEN, 1);
  await writeFile(join(dir, 'genes.gtf'), GTF + '\n');
  return dir;
}

async function cool(path: string, weights: boolean): Promise<void> {
  const bin = 1600;
  const n = LEN / bin;
  const bin1: number[] = [];
  const bin2: number[] = [];
  const count: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < 3 && i + d < n; d++) {
        bin1.push(c * n + i);
        bin2.push(c * n + i + d);
        count.push(10 - d);
      }
    }
  }
  await writeCooler(path, {
    chroms: [
      { name: 'chr1', length: LEN },
      { name: 'chr4', length: LEN },
    ],
    binSize: bin,
    bin1,
    bin2,
    count,
    weights: weights ? new Float64Array(2 * n).fill(0.5) : undefined,
  });
}

describe('structure-analysis.claster-inputs', () => {
  it('bins tracks (bigWig and bedGraph) and targets; a window off a chromosome is padded, masked and counted', async () => {
    const dir = await fixture();
    await cool(join(dir, 'contacts.cool'), true);
    const { outputs, info } = await runStage(clasterInputsStage, {
      tracks: join(dir, 'tracks'),
      genes: join(dir, 'genes.gtf'),
      targets: join(dir, 'eu.bw'),
      contacts: join(dir, 'contacts.cool'),
    });
    const t = await readTable(outputs['samples']!);
    expect(t.getChild('gene')!.toArray()).toEqual(['A', 'B']);
    expect(t.getChild('split')!.toArray()).toEqual(['train', 'test']);
    expect(Array.from(t.getChild('tss')!.toArray() as Int32Array)).toEqual([600_000, 99_999]);
    // B's TSS at 99,999: bins starting below 0 = ceil((500,050 − 99,999) / 100) = 4,001
    expect(Array.from(t.getChild('masked_bins')!.toArray() as Int32Array)).toEqual([0, 4001]);
    expect(info && info.metrics).toMatchObject({
      windowsOffChromosome: 1,
      targetWindowsOffChromosome: 1,
      contactWindowsPadded: 1,
    });
    const a = join(outputs['arrays']!);
    const land = parseNpy(await readFile(join(a, 'landscape.npy')));
    expect(land.shape).toEqual([2, 4, 10001]);
    expect(land.data[5000]).toBe(5); // A, ATAC, TSS bin [599,950, 600,050)
    expect(land.data[10001 + 5009]).toBe(2); // A, H3K4me3 up to 601,000
    expect(land.data[10001 + 5010]).toBe(1); // [600,950, 601,050): half covered
    expect(land.data[10001 + 5011]).toBe(0);
    // B (− strand) H3K27me3 from the bedGraph: [99,000, 100,000) lies in the gene body
    // (downstream on −), so after the TSS bin it fills bins 5001 … 5009 and 49 bp of 5010
    const b27 = (1 * 4 + 3) * 10001;
    expect(land.data[b27 + 5000]).toBeCloseTo(3 * 0.51, 5); // TSS bin [99,949, 100,049) holds 51 bp
    expect(land.data[b27 + 5009]).toBe(3);
    expect(land.data[b27 + 5010]).toBeCloseTo(3 * 0.49, 5);
    expect(land.data[b27 + 4999]).toBe(0);
    const mask = parseNpy(await readFile(join(a, 'landscape_mask.npy')));
    expect(mask.descr).toBe('|u1');
    expect(mask.data[10001 + 10000]).toBe(0); // B reversed: its last bin lies before chr4's start
    expect(mask.data[10001 + 5999]).toBe(1);
    const targets = parseNpy(await readFile(join(a, 'targets.npy')));
    expect(targets.shape).toEqual([2, 401]);
    expect(targets.data[200]).toBe(1);
    const contacts = parseNpy(await readFile(join(a, 'contacts.npy')));
    expect(contacts.shape[0]).toBe(2);
    expect(contacts.shape[2]).toBe(626);
    const meta = JSON.parse(await readFile(join(a, 'arrays.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(meta['tracks']).toEqual(['ATAC', 'H3K4me3', 'H3K27ac', 'H3K27me3']);
    expect(meta['windowsOffChromosome']).toBe(1);
  });

  it('balanced contacts from a .cool without weights are a clear error', async () => {
    const dir = await fixture();
    await cool(join(dir, 'raw.cool'), false);
    const inputs = {
      tracks: join(dir, 'tracks'),
      genes: join(dir, 'genes.gtf'),
      contacts: join(dir, 'raw.cool'),
    };
    await expect(runStage(clasterInputsStage, inputs)).rejects.toThrow(
      /balanced contacts were asked for but the .cool has no weights/,
    );
    const { info } = await runStage(clasterInputsStage, inputs, { balance: false });
    expect(info && info.metrics?.['contactWindowsPadded']).toBe(1);
  });

  it('tracks of different builds, a chromosome a track lacks, a missing track file: VALUE errors', async () => {
    const dir = await fixture();
    const inputs = { tracks: join(dir, 'tracks'), genes: join(dir, 'genes.gtf') };
    await bigWig(
      join(dir, 'tracks', 'H3K27ac.bw'),
      [
        ['chr1', LEN + 5000],
        ['chr4', LEN],
      ],
      0,
      10,
      1,
    );
    await expect(runStage(clasterInputsStage, inputs)).rejects.toThrow(/different genome builds/);
    await bigWig(join(dir, 'tracks', 'H3K27ac.bw'), [['chr1', LEN]], 0, 10, 1);
    await expect(runStage(clasterInputsStage, inputs)).rejects.toThrow(
      /lacks the chromosome of a gene/,
    );
    await bigWig(
      join(dir, 'tracks', 'H3K27ac.bw'),
      [
        ['chr1', LEN],
        ['chr4', LEN],
      ],
      0,
      10,
      1,
    );
    // a bedGraph interval past the bigWigs' chr4 end is another build
    await writeFile(join(dir, 'tracks', 'H3K27me3.bedGraph'), `chr4\t${LEN}\t${LEN + 100}\t1\n`);
    await expect(runStage(clasterInputsStage, inputs)).rejects.toThrow(/different genome builds/);
    await expect(
      runStage(clasterInputsStage, inputs, { tracks: ['ATAC', 'H3K9me3'] }),
    ).rejects.toThrow(/no file for track H3K9me3/);
  });

  it('accessibility from a fragments file: Tn5 insertions per base, binned like any track', async () => {
    const dir = await fixture();
    const frag = join(dir, 'fragments.tsv');
    await writeFile(
      frag,
      'chr1\t599960\t600040\tAAAC-1\t1\nchr1\t599990\t600200\tAAAG-1\t2\nchr4\t95000\t95100\tAAAC-1\t1\n',
    );
    const inputs = { tracks: join(dir, 'tracks'), genes: join(dir, 'genes.gtf'), fragments: frag };
    const { outputs } = await runStage(clasterInputsStage, inputs);
    const land = parseNpy(await readFile(join(outputs['arrays']!, 'landscape.npy')));
    // gene A's TSS bin [599,950, 600,050): insertions at 599,960, 600,039 and 599,990
    expect(land.data[5000]).toBeCloseTo(3 / 100, 6);
    expect(land.data[5001]).toBe(0);
    expect(land.data[5002]).toBeCloseTo(1 / 100, 6); // 600,199 in [600,150, 600,250)
    await expect(
      runStage(clasterInputsStage, inputs, { fragments_track: 'DNase' }),
    ).rejects.toThrow(/fragments were given for a track not in the list/);
  });
});
