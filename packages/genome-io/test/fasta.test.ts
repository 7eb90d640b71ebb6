import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { sharedDataFile } from '@chromflow/core';
import {
  bgzfFromBytes,
  codesFromOneHot,
  codesFromSequence,
  faiToText,
  makeFai,
  makeGzi,
  makeWindows,
  oneHotFromCodes,
  openFasta,
  readBed,
  readWindowCodes,
  readWindowSequences,
  regionsFromRecords,
  reverseComplement,
  reverseComplementCodes,
  sequenceFromCodes,
} from '../src/index.js';
import { hasTool, run, tempDir } from './tools.js';

const HAS_SAMTOOLS = hasTool('samtools');
const HAS_BEDTOOLS = hasTool('bedtools');
const GENOME = sharedDataFile('genome', 'hg38_chr2_1-2333275', 'chr2_1-2333275.fa.gz');
const PEAKS71 = sharedDataFile(
  'genome',
  'hg38_chr2_1-2333275',
  'pbmc3k_atac_peaks_in_chr2_1-2333275.bed',
);
const XC_H5 = sharedDataFile('multiome', 'xchrom_e18_mouse_brain', 'seqs_1344bp.h5');
const XC_FA = sharedDataFile('multiome', 'xchrom_e18_mouse_brain', 'seqs_1344bp.fa');
const XC_BED = sharedDataFile('multiome', 'xchrom_e18_mouse_brain', 'peaks.bed');

/** samtools faidx output for 1-based inclusive regions, as one string per region. */
function samtoolsRegions(path: string, regions: string[]): string[] {
  const out = run('samtools', ['faidx', path, ...regions]);
  return out
    .split('>')
    .slice(1)
    .map((rec) => rec.split('\n').slice(1).join(''));
}

describe.skipIf(!GENOME || !PEAKS71)('hg38 chr2 (bgzip + .fai + .gzi), 71 PBMC peaks', () => {
  it('builds a .gzi equal to the one htslib wrote', async () => {
    expect(Buffer.from(await makeGzi(GENOME!)).equals(readFileSync(`${GENOME!}.gzi`))).toBe(true);
  });

  it('reads the chromosome size from the .fai', async () => {
    const fa = await openFasta(GENOME!);
    expect(fa.compression).toBe('bgzip');
    expect([...fa.chromSizes]).toEqual([['chr2', 2_333_275]]);
  });

  it('1344-bp peak windows equal samtools faidx byte for byte (case kept)', async () => {
    if (!HAS_SAMTOOLS) return;
    const fa = await openFasta(GENOME!);
    const peaks = await readBed(PEAKS71!, { chromSizes: fa.chromSizes });
    expect(peaks.length).toBe(71);
    const win = makeWindows(peaks, fa.chromSizes, { width: 1344, edge: 'error' });
    // XChrom's rule, written out: mid = floor((start+end)/2), [mid-672, mid+672)
    for (let i = 0; i < 71; i++) {
      const mid = Math.floor((peaks.starts[i]! + peaks.ends[i]!) / 2);
      expect([win.starts[i], win.ends[i]]).toEqual([mid - 672, mid + 672]);
    }
    const ours = await readWindowSequences(fa, win, { case: 'keep' });
    const regions = Array.from(win.starts, (s, i) => `chr2:${s + 1}-${win.ends[i]}`);
    expect(ours).toEqual(samtoolsRegions(GENOME!, regions));
    expect(ours.some((s) => /[acgt]/.test(s))).toBe(true); // soft-masked bases are really there
  });

  it('encodes soft-masked bases as bases (upper) or as N on request', async () => {
    const fa = await openFasta(GENOME!);
    const win = makeWindows(
      regionsFromRecords([{ chrom: 'chr2', start: 10_400, end: 12_079 }]),
      fa.chromSizes,
      { width: 30_000 },
    );
    const text = (await readWindowSequences(fa, win, { case: 'keep' }))[0]!;
    const upper = (await readWindowCodes(fa, win)).codes;
    const hard = (await readWindowCodes(fa, win, { softMasked: 'n' })).codes;
    expect(sequenceFromCodes(upper)).toBe(text.toUpperCase().replace(/[^ACGT]/g, 'N'));
    for (let i = 0; i < text.length; i++) {
      if (/[acgt]/.test(text[i]!)) expect(hard[i]).toBe(4);
    }
    // the window starts before base 0 under `pad`: leading N, and the first 10,000 bases are N too
    expect(win.starts[0]).toBeLessThan(0);
    expect(text.slice(0, 10_000 - win.starts[0]!)).toMatch(/^N+$/);
  });
});

describe('FASTA random access vs samtools faidx (seeded, edge-biased)', () => {
  const make = (seed: number) => {
    let x = seed;
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x / 2 ** 32);
    const letters = 'ACGTacgtNN';
    const records = [
      { name: 'chrA', len: 5_000, width: 60 },
      { name: 'chrB', len: 61, width: 60 },
      { name: 'chrC', len: 1, width: 50 },
      { name: 'chrD', len: 3_001, width: 70 },
    ].map((r) => ({
      ...r,
      seq: Array.from({ length: r.len }, () => letters[Math.floor(rnd() * 10)]).join(''),
    }));
    return records;
  };
  const toText = (records: ReturnType<typeof make>, finalNewline: boolean) => {
    let s = '';
    for (const r of records) {
      s += `>${r.name} description here\n`;
      for (let i = 0; i < r.seq.length; i += r.width) s += `${r.seq.slice(i, i + r.width)}\n`;
    }
    return finalNewline ? s : s.slice(0, -1);
  };

  it.each([
    ['plain', true],
    ['plain, no final newline', false],
    ['gzip', true],
    ['bgzip without .fai/.gzi', false],
  ] as const)('%s', async (kind, finalNewline) => {
    const records = make(kind.length * 7919);
    const dir = tempDir();
    const plain = join(dir, 'g.fa');
    writeFileSync(plain, toText(records, finalNewline));
    let path = plain;
    if (kind === 'gzip') {
      path = join(dir, 'g.fa.gz');
      writeFileSync(path, gzipSync(readFileSync(plain)));
    } else if (kind.startsWith('bgzip')) {
      path = join(dir, 'g.fa.bgz');
      writeFileSync(path, bgzfFromBytes(readFileSync(plain)).data);
    }
    const fa = await openFasta(path);
    expect(fa.names).toEqual(['chrA', 'chrB', 'chrC', 'chrD']);
    if (HAS_SAMTOOLS) {
      // our .fai (built because absent) equals samtools' on the plain file
      const ours = faiToText(await makeFai(plain));
      const copy = join(dir, 'copy.fa');
      copyFileSync(plain, copy);
      run('samtools', ['faidx', copy]);
      expect(ours).toBe(readFileSync(`${copy}.fai`, 'latin1'));
    }
    const queries = fc.sample(
      fc.constantFrom(...records).chain((r) =>
        fc.oneof(
          fc.record({
            r: fc.constant(r),
            s: fc.constantFrom(0, r.len - 1, r.width - 1, r.width),
            l: fc.constant(1),
          }),
          fc.record({
            r: fc.constant(r),
            s: fc.integer({ min: 0, max: r.len - 1 }),
            l: fc.integer({ min: 1, max: 400 }),
          }),
        ),
      ),
      { numRuns: 60, seed: 11 },
    );
    const bed: string[] = [];
    const ours: string[] = [];
    for (const q of queries) {
      const s = Math.min(q.s, q.r.len - 1);
      const e = Math.min(q.r.len, s + q.l);
      const got = await fa.fetch(q.r.name, s, e);
      expect(got).toBe(q.r.seq.slice(s, e));
      if (HAS_SAMTOOLS && kind !== 'gzip') {
        expect(samtoolsRegions(path, [`${q.r.name}:${s + 1}-${e}`])[0]).toBe(got);
      }
      bed.push(`${q.r.name}\t${s}\t${e}\n`);
      ours.push(got);
    }
    if (HAS_BEDTOOLS && kind.startsWith('plain')) {
      // bedtools getfasta takes the same 0-based half-open BED intervals
      const bedPath = join(dir, 'q.bed');
      writeFileSync(bedPath, bed.join(''));
      const out = run('bedtools', ['getfasta', '-fi', plain, '-bed', bedPath, '-tab'])
        .trimEnd()
        .split('\n');
      expect(out.map((l) => l.split('\t')[1] ?? '')).toEqual(ours);
    }
    await expect(fa.fetch('chrA', 4_990, 5_001)).rejects.toMatchObject({ code: 'VALUE' });
    await expect(fa.fetch('chrZ', 0, 1)).rejects.toMatchObject({ code: 'VALUE' });
  });
});

describe('window edge policies', () => {
  const sizes = new Map([['c', 1000]]);
  const peaks = regionsFromRecords([
    { chrom: 'c', start: 0, end: 10 },
    { chrom: 'c', start: 500, end: 501 },
    { chrom: 'c', start: 990, end: 1000 },
  ]);
  it('pad keeps centre and width, shift keeps width, clip cuts, error throws', () => {
    const pad = makeWindows(peaks, sizes, { width: 101, edge: 'pad' });
    expect(Array.from(pad.starts)).toEqual([5 - 50, 500 - 50, 995 - 50]);
    expect(Array.from(pad.ends)).toEqual([5 + 51, 500 + 51, 995 + 51]);
    const shift = makeWindows(peaks, sizes, { width: 101, edge: 'shift' });
    expect(Array.from(shift.starts)).toEqual([0, 450, 899]);
    expect(Array.from(shift.ends)).toEqual([101, 551, 1000]);
    const clip = makeWindows(peaks, sizes, { width: 101, edge: 'clip' });
    expect(Array.from(clip.starts)).toEqual([0, 450, 945]);
    expect(Array.from(clip.ends)).toEqual([56, 551, 1000]);
    expect(() => makeWindows(peaks, sizes, { width: 101, edge: 'error' })).toThrow(
      /reaches past c/,
    );
  });
  it('1-bp windows sit on the midpoint base', () => {
    const w = makeWindows(peaks, sizes, { width: 1 });
    expect(Array.from(w.starts)).toEqual([5, 500, 995]);
  });
});

describe('sequence codecs', () => {
  it('round-trip codes ↔ one-hot ↔ text and reverse complement (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[ACGTN]{1,300}$/),
        fc.constantFrom('zeros', 'quarter'),
        (seq, n) => {
          const codes = codesFromSequence(seq);
          expect(sequenceFromCodes(codes)).toBe(seq);
          const oh = oneHotFromCodes(codes, codes.length, { n });
          expect(oh.length).toBe(seq.length * 4);
          expect(codesFromOneHot(oh)).toEqual(codes);
          expect(sequenceFromCodes(reverseComplementCodes(codes))).toBe(reverseComplement(seq));
          expect(reverseComplement(reverseComplement(seq))).toBe(seq);
        },
      ),
      { seed: 5, numRuns: 200 },
    );
  });
  it('one-hot of N is all zeros or all 0.25', () => {
    expect(Array.from(oneHotFromCodes(codesFromSequence('AN'), 2))).toEqual([
      1, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(Array.from(oneHotFromCodes(codesFromSequence('Tn'), 2, { n: 'quarter' }))).toEqual([
      0, 0, 0, 1, 0.25, 0.25, 0.25, 0.25,
    ]);
    expect(reverseComplement('AcgTN')).toBe('NAcgT');
  });
});

describe.skipIf(!XC_H5 || !XC_FA || !XC_BED)('XChrom E18 1344-bp sequences', () => {
  it('codes of seqs_1344bp.fa equal dataset X of seqs_1344bp.h5 (A0 C1 G2 T3), and decode back', async () => {
    await h5wasm.ready;
    const f = new h5wasm.File(XC_H5!, 'r');
    const ds = f.get('X');
    if (!(ds instanceof h5wasm.Dataset)) throw new Error('X is not a dataset');
    expect(ds.shape).toEqual([564, 1344]);
    const x = Int8Array.from(ds.value as Int8Array); // copy out of WASM memory before close
    f.close();
    const fa = await openFasta(XC_FA!, { writeIndex: false });
    expect(fa.names.length).toBe(564);
    const all = new Uint8Array(564 * 1344);
    for (let i = 0; i < 564; i++) {
      const seq = await fa.fetch(fa.names[i]!, 0, 1344);
      codesFromSequence(seq, { into: all, at: i * 1344 });
    }
    expect(Buffer.from(all).equals(Buffer.from(x.buffer, x.byteOffset, x.byteLength))).toBe(true);
    const oh = oneHotFromCodes(all, 1344);
    expect(codesFromOneHot(oh)).toEqual(all);
  });

  it("peaks.bed's 1344-bp windows have the coordinates in the FASTA headers", async () => {
    const peaks = await readBed(XC_BED!);
    expect(peaks.length).toBe(564);
    const headers = readFileSync(XC_FA!, 'latin1')
      .split('\n')
      .filter((l) => l.startsWith('>'))
      .map((l) => l.slice(1).split(' ')[0]!);
    const sizes = new Map(peaks.chromNames.map((c) => [c, 2 ** 31 - 1]));
    const win = makeWindows(peaks, sizes, { width: 1344 });
    const ours = Array.from(
      win.starts,
      (s, i) => `${win.chromNames[win.chromIds[i]!]}:${s}-${win.ends[i]}`,
    );
    expect(ours).toEqual(headers);
  });
});
