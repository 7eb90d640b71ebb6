import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BgzfFilehandle, unzip } from '@gmod/bgzf-filehandle';
import { TabixIndexedFile } from '@gmod/tabix';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bgzfFromBytes,
  bgzfToBytes,
  binFromInterval,
  faiToText,
  makeFai,
  readBed,
  readFragments,
  regionsFromRecords,
  writeBed,
  writeBgzf,
  writeFasta,
  writeFragments,
} from '../src/index.js';
import type { Fragment } from '../src/index.js';
import { hasTool, parseTbi, run, tempDir } from './tools.js';

const HAS_BGZIP = hasTool('bgzip');
const HAS_TABIX = hasTool('tabix');
const HAS_SAMTOOLS = hasTool('samtools');

/** Sorted random fragments on a few chromosomes, biased to bin and window edges. */
const fragmentsArb = fc
  .array(
    fc.record({
      chrom: fc.constantFrom('chr1', 'chr2', 'chrX'),
      start: fc.oneof(
        fc.integer({ min: 0, max: 200_000 }),
        fc.constantFrom(0, 16383, 16384, 131071, 131072, 1 << 20),
      ),
      len: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constant(1)),
      barcode: fc.constantFrom('AAAC-1', 'CCGT-1', 'TTTT-1', 'GATC-2'),
      count: fc.integer({ min: 1, max: 9 }),
    }),
    { minLength: 1, maxLength: 400 },
  )
  .map((rows) =>
    rows
      .map((r) => ({
        chrom: r.chrom,
        start: r.start,
        end: r.start + r.len,
        barcode: r.barcode,
        count: r.count,
      }))
      .sort((a, b) => (a.chrom < b.chrom ? -1 : a.chrom > b.chrom ? 1 : a.start - b.start)),
  );

describe('BGZF writer', () => {
  it('equals its input after bgzip -d, gunzip, @gmod/bgzf-filehandle and our own reader', async () => {
    const dir = tempDir();
    // 300 kB of mixed text spans several 0xff00-byte blocks.
    const text = Array.from(
      { length: 12_000 },
      (_, i) => `line\t${i}\t${(i * 7919) % 1000}\n`,
    ).join('');
    const path = join(dir, 'x.txt.gz');
    const layout = await writeBgzf(path, text);
    expect(layout.compressedOffsets.length).toBeGreaterThan(3);
    const data = readFileSync(path);
    // EOF marker last
    expect(Array.from(data.subarray(-28, -24))).toEqual([0x1f, 0x8b, 0x08, 0x04]);
    expect(gunzipSync(data).toString()).toBe(text);
    expect(Buffer.from((await unzip(data)) as Uint8Array).toString()).toBe(text);
    expect(Buffer.from(bgzfToBytes(data)).toString()).toBe(text);
    if (HAS_BGZIP) expect(run('bgzip', ['-d', '-c', path])).toBe(text);
  });

  it('is readable at random offsets through a .gzi built by bgzip -r', async () => {
    if (!HAS_BGZIP) return;
    const dir = tempDir();
    const text = Array.from({ length: 20_000 }, (_, i) => `${i}\n`).join('');
    const path = join(dir, 'y.gz');
    await writeBgzf(path, text);
    run('bgzip', ['-r', path]);
    const { LocalFile } = await import('generic-filehandle2');
    const fh = new BgzfFilehandle({
      filehandle: new LocalFile(path),
      gziFilehandle: new LocalFile(`${path}.gzi`),
    });
    for (const [pos, len] of [
      [0, 10],
      [65279, 3],
      [65280, 100],
      [100_000, 1],
    ] as const) {
      expect(Buffer.from(await fh.read(len, pos)).toString()).toBe(text.slice(pos, pos + len));
    }
  });

  it('handles empty input (EOF marker only)', () => {
    const { data } = bgzfFromBytes(new Uint8Array(0));
    expect(data.length).toBe(28);
    expect(gunzipSync(data).length).toBe(0);
  });
});

describe('tabix index writer', () => {
  it('computes UCSC bins as the SAM spec does', () => {
    expect(binFromInterval(0, 1)).toBe(4681);
    expect(binFromInterval(0, 16384)).toBe(4681);
    expect(binFromInterval(0, 16385)).toBe(585);
    expect(binFromInterval(0, 1 << 29)).toBe(0);
  });

  it('answers region queries like a filter, through tabix CLI and @gmod/tabix (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fragmentsArb,
        fc.constantFrom('chr1', 'chr2', 'chrX'),
        fc.integer({ min: 0, max: 200_000 }),
        fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 50_000 })),
        async (frags, chrom, qs, qlen) => {
          const dir = tempDir();
          const path = join(dir, 'fragments.tsv.gz');
          await writeFragments(path, frags, { header: ['id=test'] });
          const qe = qs + qlen;
          const expected = frags
            .filter((f) => f.chrom === chrom && f.start < qe && f.end > qs)
            .map((f) => `${f.chrom}\t${f.start}\t${f.end}\t${f.barcode}\t${f.count}`);
          const tbx = new TabixIndexedFile({ path, tbiPath: `${path}.tbi` });
          const got: string[] = [];
          await tbx.getLines(chrom, qs, qe, (l) => {
            got.push(l);
          });
          expect(got).toEqual(expected);
          if (HAS_TABIX) {
            // tabix CLI regions are 1-based inclusive: [qs+1, qe]
            const out = run('tabix', [path, `${chrom}:${qs + 1}-${qe}`]);
            expect(out === '' ? [] : out.trimEnd().split('\n')).toEqual(expected);
          }
        },
      ),
      { numRuns: 25, seed: 42 },
    );
  });

  it('equals the index tabix -p bed builds on the same file (bins, chunks, linear index, pseudo-bin)', async () => {
    if (!HAS_TABIX) return;
    const dir = tempDir();
    const frags: Fragment[] = [];
    for (let i = 0; i < 30_000; i++) {
      frags.push({
        chrom: i < 20_000 ? 'chr1' : 'chr2',
        start: (i % 20_000) * 37,
        end: (i % 20_000) * 37 + 50 + (i % 300),
        barcode: `BC${i % 97}`,
        count: 1 + (i % 3),
      });
    }
    const path = join(dir, 'f.tsv.gz');
    await writeFragments(path, frags);
    const ours = bgzfToBytes(readFileSync(`${path}.tbi`));
    run('tabix', ['-f', '-p', 'bed', path]);
    const theirs = bgzfToBytes(readFileSync(`${path}.tbi`));
    // htslib writes bins in hash-table order; compare with bins sorted.
    expect(ours.length).toBe(theirs.length);
    expect(parseTbi(ours)).toEqual(parseTbi(theirs));
  });

  it('refuses unsorted records with UNSORTED and writes nothing', async () => {
    const dir = tempDir();
    const path = join(dir, 'bad.tsv.gz');
    const bad = [
      { chrom: 'chr1', start: 100, end: 200, barcode: 'A' },
      { chrom: 'chr1', start: 50, end: 80, barcode: 'A' },
    ];
    await expect(writeFragments(path, bad)).rejects.toMatchObject({ code: 'UNSORTED', line: 2 });
    expect(() => readFileSync(path)).toThrow();
  });
});

describe('fragments writer → reader round trip', () => {
  it('reads back exactly what was written (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fragmentsArb, fc.integer({ min: 1, max: 64 }), async (frags, batchSize) => {
        const dir = tempDir();
        const path = join(dir, 'fragments.tsv.gz');
        await writeFragments(path, frags);
        const back: Fragment[] = [];
        for await (const b of readFragments(path, { batchSize })) {
          for (let i = 0; i < b.length; i++) {
            back.push({
              chrom: b.chromNames[b.chromIds[i]!]!,
              start: b.starts[i]!,
              end: b.ends[i]!,
              barcode: b.barcodes[b.barcodeIds[i]!]!,
              count: b.counts[i]!,
            });
          }
        }
        expect(back).toEqual(frags);
      }),
      { numRuns: 30, seed: 7 },
    );
  });
});

describe('FASTA writer', () => {
  it('writes a .fai equal to the one samtools faidx builds, and samtools reads our regions', async () => {
    const dir = tempDir();
    const path = join(dir, 'genome.fa');
    const rnd = (n: number, seed: number) =>
      Array.from(
        { length: n },
        (_, i) => 'ACGTNacgt'[(i * 31 + seed * 17 + ((i * i) % 7)) % 9],
      ).join('');
    const records = [
      { name: 'chr1', sequence: rnd(1000, 1) },
      { name: 'chr2', description: 'second', sequence: rnd(60, 2) },
      { name: 'chrM', sequence: rnd(61, 3) },
      { name: 'tiny', sequence: 'A' },
    ];
    const entries = await writeFasta(path, records, { lineWidth: 60 });
    expect(faiToText(await makeFai(path))).toBe(faiToText(entries));
    if (!HAS_SAMTOOLS) return;
    const ours = readFileSync(`${path}.fai`, 'latin1');
    writeFileSync(`${path}.fai`, '');
    run('samtools', ['faidx', path]);
    expect(readFileSync(`${path}.fai`, 'latin1')).toBe(ours);
    const out = run('samtools', ['faidx', path, 'chr1:59-122']).split('\n').slice(1).join('');
    expect(out).toBe(records[0]!.sequence.slice(58, 122));
  });
});

describe('BED writer → reader round trip', () => {
  it('reads back what was written (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            chrom: fc.constantFrom('chr1', 'chr10', 'scaffold_7'),
            start: fc.integer({ min: 0, max: 1e9 }),
            len: fc.integer({ min: 1, max: 1e6 }),
            name: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/),
          }),
          { minLength: 1, maxLength: 100 },
        ),
        async (rows) => {
          const recs = rows.map((r) => ({
            chrom: r.chrom,
            start: r.start,
            end: r.start + r.len,
            name: r.name,
          }));
          const dir = tempDir();
          const path = join(dir, 'x.bed');
          await writeBed(path, regionsFromRecords(recs));
          const back = await readBed(path);
          expect(back.length).toBe(recs.length);
          expect(Array.from(back.starts)).toEqual(recs.map((r) => r.start));
          expect(Array.from(back.ends)).toEqual(recs.map((r) => r.end));
          expect(back.names).toEqual(recs.map((r) => r.name));
          expect(Array.from(back.chromIds, (i) => back.chromNames[i])).toEqual(
            recs.map((r) => r.chrom),
          );
        },
      ),
      { numRuns: 30, seed: 3 },
    );
  });
});
