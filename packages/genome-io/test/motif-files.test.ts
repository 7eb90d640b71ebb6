import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ChromflowError, sharedDataFile } from '@chromflow/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  motifsFromJaspar,
  motifsFromMeme,
  motifsToJaspar,
  motifsToMeme,
  readMotifs,
  writeMotifs,
} from '../src/index.js';
import type { Motif, MotifSet } from '../src/index.js';

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', 'motifs', name);
const jasparMeme = sharedDataFile(
  'motifs',
  'JASPAR2018_CORE_vertebrates_non-redundant_pfms_meme.txt',
);
const hocomoco = sharedDataFile('motifs', 'HOCOMOCOv11_core_HUMAN_mono_meme_format.meme');
const cisbp = sharedDataFile(
  'reference',
  'fimo_cisbp2_human_hg38_xchrom_peak',
  'cisbp2.00_Homo_sapiens.evenIndexMotifs.meme',
);
const jolma = sharedDataFile('motifs', 'jolma2013', 'table_s3-1.meme');

function parseError(fn: () => unknown): ChromflowError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ChromflowError) return e;
    throw e;
  }
  throw new Error('expected a ChromflowError');
}

describe('real MEME files (counts from the shared data README)', () => {
  it.skipIf(!jasparMeme)(
    'JASPAR 2018 non-redundant: 579 motifs, MA0004.1 as JASPAR lists it',
    async () => {
      const set = await readMotifs(jasparMeme!);
      expect(set.motifs).toHaveLength(579);
      expect(set.background).toEqual(Float64Array.of(0.25, 0.25, 0.25, 0.25));
      expect(set.strands).toBe('+-');
      const arnt = set.motifs[0]!;
      expect(arnt).toMatchObject({
        id: 'MA0004.1',
        altName: 'Arnt',
        width: 6,
        nsites: 20,
        evalue: 0,
      });
      expect(Array.from(arnt.probabilities.subarray(0, 8))).toEqual([
        0.2, 0.8, 0, 0, 0.95, 0, 0.05, 0,
      ]);
      expect(arnt.url).toBe('http://jaspar.genereg.net/matrix/MA0004.1');
    },
  );
  it.skipIf(!hocomoco)(
    'HOCOMOCO v11 human mono (tab-separated rows, no E=): 401 motifs',
    async () => {
      const set = await readMotifs(hocomoco!);
      expect(set.motifs).toHaveLength(401);
      expect(set.motifs[0]).toMatchObject({ id: 'AHR_HUMAN.H11MO.0.B', width: 9, nsites: 154 });
      expect(set.motifs[0]!.evalue).toBeUndefined();
      expect(set.motifs[0]!.probabilities[0]).toBe(0.26314477735061276);
    },
  );
  it.skipIf(!cisbp)(
    'CIS-BP 2.00 (MEME 5.5.5 writer, blank line after MOTIF): 533 motifs',
    async () => {
      const set = await readMotifs(cisbp!);
      expect(set.motifs).toHaveLength(533);
      expect(set.memeVersion).toBe('5.5.5');
      expect(set.motifs[0]).toMatchObject({
        id: 'M00111_2.00',
        altName: '(TFAP2D)_(Mus_musculus)_(DBD_0.80)',
        width: 10,
        nsites: 1,
      });
    },
  );
  it.skipIf(!jolma)('Jolma 2013 part 1: 150 motifs', async () => {
    const set = await readMotifs(jolma!);
    expect(set.motifs).toHaveLength(150);
    expect(set.motifs[0]).toMatchObject({ id: 'BCL6B_C2H2_1', width: 17, nsites: 260 });
  });
  it.skipIf(!jasparMeme)('reads gzip the same as plain text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'motifs-'));
    const gz = join(dir, 'jaspar.meme.gz');
    writeFileSync(gz, gzipSync(readFileSync(jasparMeme!)));
    const [a, b] = await Promise.all([readMotifs(gz), readMotifs(jasparMeme!)]);
    expect(a).toEqual(b);
  });
});

describe('JASPAR count files', () => {
  it.skipIf(!jasparMeme)(
    '.jaspar and raw .pfm give the matrix JASPAR exports to MEME',
    async () => {
      const meme = (await readMotifs(jasparMeme!)).motifs[0]!;
      const jaspar = (await readMotifs(fixture('MA0004.1.jaspar'))).motifs[0]!;
      const pfm = (await readMotifs(fixture('MA0004.1.pfm'))).motifs[0]!;
      expect(jaspar).toMatchObject({ id: 'MA0004.1', altName: 'Arnt', width: 6, nsites: 20 });
      expect(pfm).toMatchObject({ id: 'MA0004.1', width: 6, nsites: 20 });
      for (const m of [jaspar, pfm]) {
        m.probabilities.forEach((p, i) => expect(p).toBeCloseTo(meme.probabilities[i]!, 6));
      }
    },
  );
  it('several raw matrices and a wrong base row', () => {
    const two = motifsFromJaspar('>a\n1 2\n3 4\n5 6\n7 8\n>b x y\n1\n1\n1\n1\n');
    expect(two.motifs.map((m) => [m.id, m.altName, m.width])).toEqual([
      ['a', '', 2],
      ['b', 'x y', 1],
    ]);
    const e = parseError(() => motifsFromJaspar('>a\nA [1 2]\nG [1 2]\n', 'x.jaspar'));
    expect(e).toMatchObject({ code: 'PARSE', path: 'x.jaspar', line: 3, column: 1 });
    expect(e.format()).toContain('x.jaspar:3:1');
  });
  it('a truncated matrix and ragged rows are located', () => {
    expect(parseError(() => motifsFromJaspar('>a\n1 2\n3 4\n5 6\n'))).toMatchObject({
      code: 'PARSE',
      found: '3 rows',
    });
    expect(parseError(() => motifsFromJaspar('>a\n1 2\n3 4 5\n5 6\n1 1\n'))).toMatchObject({
      code: 'PARSE',
      line: 3,
    });
    expect(parseError(() => motifsFromJaspar('>a\n1 2\n3 x\n5 6\n1 1\n'))).toMatchObject({
      code: 'PARSE',
      line: 3,
      column: 3,
    });
  });
});

const HEADER = 'MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n';
describe('malformed MEME files give located errors', () => {
  it('not MEME at all', () => {
    const e = parseError(() => motifsFromMeme('>seq1\nACGT\n', 'a.meme'));
    expect(e).toMatchObject({ code: 'PARSE', path: 'a.meme', line: 1, column: 1 });
    expect(e.hint).toContain('JASPAR');
  });
  it('a matrix shorter than w=', () => {
    const text = `${HEADER}MOTIF m1\nletter-probability matrix: alength= 4 w= 3\n0.25 0.25 0.25 0.25\n0.25 0.25 0.25 0.25\nMOTIF m2\n`;
    const e = parseError(() => motifsFromMeme(text, 'a.meme'));
    expect(e).toMatchObject({ code: 'PARSE', line: 11, expected: 'w= 3 rows', found: '2 rows' });
  });
  it('a value that is not a number, with its column', () => {
    const text = `${HEADER}MOTIF m1\nletter-probability matrix: w= 1\n0.25 0.25 O.25 0.25\n`;
    const e = parseError(() => motifsFromMeme(text));
    expect(e).toMatchObject({ code: 'PARSE', line: 9, column: 11, found: '"O.25"' });
    expect(e.format()).toContain('^');
  });
  it('three columns, a bad row sum, a DNA alphabet, duplicates, no matrix', () => {
    expect(
      parseError(() =>
        motifsFromMeme(`${HEADER}MOTIF m\nletter-probability matrix:\n0.5 0.25 0.25\n`),
      ),
    ).toMatchObject({ code: 'PARSE', line: 9 });
    expect(
      parseError(() => motifsFromMeme(`${HEADER}MOTIF m\nletter-probability matrix:\n5 2 2 1\n`)),
    ).toMatchObject({ code: 'VALUE', line: 9 });
    expect(
      parseError(() => motifsFromMeme('MEME version 4\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n')),
    ).toMatchObject({ code: 'VALUE', line: 2 });
    expect(
      parseError(() =>
        motifsFromMeme(`${HEADER}MOTIF m\nletter-probability matrix: alength= 20 w= 1\n`),
      ),
    ).toMatchObject({ code: 'VALUE', field: 'alength' });
    const dup = `${HEADER}MOTIF m\nletter-probability matrix:\n1 0 0 0\nMOTIF m\n`;
    expect(parseError(() => motifsFromMeme(dup))).toMatchObject({ code: 'VALUE', line: 10 });
    expect(parseError(() => motifsFromMeme(`${HEADER}MOTIF m\nURL x\n`))).toMatchObject({
      code: 'PARSE',
      line: 7,
    });
    expect(parseError(() => motifsFromMeme(HEADER))).toMatchObject({ code: 'EMPTY' });
    expect(parseError(() => motifsFromMeme(''))).toMatchObject({ code: 'EMPTY' });
  });
  it('a missing file is an IO error naming it', async () => {
    await expect(readMotifs('/nonexistent/m.meme')).rejects.toMatchObject({
      code: 'IO',
      path: '/nonexistent/m.meme',
    });
  });
});

const probabilityRow = fc
  .array(fc.double({ min: 0.001, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 })
  .map((xs) => {
    const s = xs.reduce((a, b) => a + b, 0);
    return xs.map((x) => x / s);
  });
const motifArb: fc.Arbitrary<Motif> = fc
  .record({
    id: fc.stringMatching(/^[A-Za-z0-9_.:+-]{1,12}$/),
    altName: fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9_()]{1,10}$/)),
    rows: fc.array(probabilityRow, { minLength: 1, maxLength: 25 }),
    nsites: fc.oneof(
      fc.integer({ min: 1, max: 5000 }),
      fc.double({ min: 0.5, max: 100, noNaN: true }),
    ),
    evalue: fc.option(fc.double({ min: 0, max: 1e5, noNaN: true }), { nil: undefined }),
    url: fc.option(fc.webUrl(), { nil: undefined }),
  })
  .map(({ id, altName, rows, nsites, evalue, url }) => {
    const m: Motif = {
      id,
      altName,
      width: rows.length,
      probabilities: Float64Array.from(rows.flat()),
      nsites,
    };
    if (evalue !== undefined) m.evalue = evalue;
    if (url !== undefined) m.url = url;
    return m;
  });
const setArb: fc.Arbitrary<MotifSet> = fc
  .record({
    motifs: fc.uniqueArray(motifArb, { minLength: 1, maxLength: 6, selector: (m) => m.id }),
    background: probabilityRow,
    strands: fc.constantFrom<'+' | '+-'>('+', '+-'),
  })
  .map(({ motifs, background, strands }) => ({
    motifs,
    background: Float64Array.from(background),
    strands,
    memeVersion: '4',
  }));

describe('properties', () => {
  it('MEME write → parse gives back the same motif set, exactly', () => {
    fc.assert(
      fc.property(setArb, (set) => {
        const back = motifsFromMeme(motifsToMeme(set));
        // The background is renormalised on read; compare within rounding.
        back.background!.forEach((x, i) => expect(x).toBeCloseTo(set.background![i]!, 12));
        expect({ ...back, background: undefined }).toEqual({ ...set, background: undefined });
      }),
      { numRuns: 200 },
    );
  });
  it('JASPAR write → parse gives back the probabilities', () => {
    fc.assert(
      fc.property(setArb, (set) => {
        const back = motifsFromJaspar(motifsToJaspar(set));
        back.motifs.forEach((m, i) => {
          const orig = set.motifs[i]!;
          expect([m.id, m.altName, m.width]).toEqual([orig.id, orig.altName, orig.width]);
          m.probabilities.forEach((p, j) => expect(p).toBeCloseTo(orig.probabilities[j]!, 9));
        });
      }),
      { numRuns: 100 },
    );
  });
  it('writeMotifs → readMotifs round trip through a file', async () => {
    const set = fc.sample(setArb, { numRuns: 1, seed: 7 })[0]!;
    const path = join(mkdtempSync(join(tmpdir(), 'motifs-')), 'out.meme');
    await writeMotifs(path, set);
    expect((await readMotifs(path)).motifs).toEqual(set.motifs);
  });
});
