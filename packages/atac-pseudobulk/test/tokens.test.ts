import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readTable, sharedDataFile, writeTable } from '@chromflow/core';
import { readBed } from '@chromflow/genome-io';
import {
  checkUniverse,
  FIRST_REGION_TOKEN,
  readVocabulary,
  regionColumnsFromRecords,
  requireVocabularyHash,
  SPECIAL_TOKENS,
  subsampleTokenSets,
  tokenizeFragments,
  tokenSetsFromTable,
  tokenSetsToTable,
  universeFromPeakSets,
  vocabularyHash,
  writeVocabulary,
  type TokenSets,
  type Vocabulary,
} from '../src/index.js';

const hasBedtools = spawnSync('bedtools', ['--version']).status === 0;
if (!hasBedtools) console.warn('skipping: bedtools is not installed (apt-get install bedtools)');

const dir = mkdtempSync(join(tmpdir(), 'atac-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = { contextLength: 8192, seed: 0 };

/** Universe line (chrom\tstart\tend) → its token id, from the BED file read by hand. */
function tokenOfLine(universeBed: string): Map<string, number> {
  const m = new Map<string, number>();
  readFileSync(universeBed, 'utf8')
    .trim()
    .split('\n')
    .forEach((l, i) => m.set(l.split('\t').slice(0, 3).join('\t'), FIRST_REGION_TOKEN + i));
  return m;
}

/** Per cell: the token ids of `bedtools intersect -u -a universe -b <that cell's fragments>`. */
function bedtoolsTokenSets(
  universeBed: string,
  fragmentLines: string[],
  maxCells = Infinity,
): Map<string, number[]> {
  const byCell = new Map<string, string[]>();
  for (const l of fragmentLines) {
    const f = l.split('\t');
    if (!byCell.has(f[3]!) && byCell.size >= maxCells) continue;
    const list = byCell.get(f[3]!) ?? [];
    list.push(f.slice(0, 3).join('\t'));
    byCell.set(f[3]!, list);
  }
  const ids = tokenOfLine(universeBed);
  const out = new Map<string, number[]>();
  for (const [cell, lines] of byCell) {
    const cellBed = join(dir, 'cell.bed');
    writeFileSync(cellBed, lines.join('\n') + '\n');
    const text = execFileSync('bedtools', ['intersect', '-u', '-a', universeBed, '-b', cellBed], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    const toks = text
      .split('\n')
      .filter((l) => l)
      .map((l) => ids.get(l.split('\t').slice(0, 3).join('\t'))!);
    out.set(
      cell,
      toks.sort((a, b) => a - b),
    );
  }
  return out;
}

function cellsOf(sets: TokenSets): Map<string, number[]> {
  const m = new Map<string, number[]>();
  sets.barcodes.forEach((b, r) =>
    m.set(b, [...sets.tokens.subarray(sets.offsets[r], sets.offsets[r + 1])]),
  );
  return m;
}

async function vocabularyOf(bed: string): Promise<Vocabulary> {
  const regions = await readBed(bed);
  checkUniverse(regions, bed);
  return { regions };
}

describe('vocabulary', () => {
  it('round-trips the PBSmall peak universe (write → read → equal) with the special tokens first', async () => {
    const bed = sharedDataFile('atac', 'archr_pbsmall_hg19', 'peak_matrix_archr_peaks.bed');
    if (!bed) return console.warn('skipping: PBSmall peaks absent');
    const v = await vocabularyOf(bed);
    const path = join(dir, 'vocab.tsv');
    await writeVocabulary(path, v);
    const back = await readVocabulary(path);
    expect(back.regions.chromNames).toEqual(v.regions.chromNames);
    expect(Array.from(back.regions.chromIds)).toEqual(Array.from(v.regions.chromIds));
    expect([...back.regions.starts]).toEqual([...v.regions.starts]);
    expect([...back.regions.ends]).toEqual([...v.regions.ends]);
    expect(vocabularyHash(back)).toBe(vocabularyHash(v));
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.slice(2, 9).map((l) => l.split('\t')[1])).toEqual([
      '<pad>',
      '<mask>',
      '<cls>',
      '<bos>',
      '<eos>',
      '<sep>',
      '<unk>',
    ]);
    expect(SPECIAL_TOKENS).toHaveLength(7);
    // Region token 7 is the BED file's first line, the last the BED's last line.
    const bedLines = readFileSync(bed, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2 + 7 + 2142);
    expect(lines[9]!.split('\t').slice(2).join('\t')).toBe(
      bedLines[0]!.split('\t').slice(0, 3).join('\t'),
    );
    expect(lines.at(-1)!.split('\t').slice(2).join('\t')).toBe(
      bedLines.at(-1)!.split('\t').slice(0, 3).join('\t'),
    );
  });

  it('refuses a vocabulary file with its special tokens out of order, naming the line', async () => {
    const path = join(dir, 'bad-vocab.tsv');
    writeFileSync(
      path,
      '#chromflow-vocabulary\t1\ntoken_id\ttoken\tchrom\tstart\tend\n0\t<mask>\t.\t.\t.\n',
    );
    await expect(readVocabulary(path)).rejects.toMatchObject({ code: 'PARSE', line: 3 });
  });

  it('a vocabulary that does not match the token table is refused by its hash', () => {
    const a: Vocabulary = {
      regions: regionColumnsFromRecords([{ chrom: 'chr1', start: 0, end: 10 }]),
    };
    const b: Vocabulary = {
      regions: regionColumnsFromRecords([{ chrom: 'chr1', start: 0, end: 11 }]),
    };
    expect(() => requireVocabularyHash(a, vocabularyHash(a))).not.toThrow();
    expect(() => requireVocabularyHash(b, vocabularyHash(a), 't.arrow')).toThrow(
      /another vocabulary/,
    );
  });
});

describe('universe', () => {
  it('duplicate regions are an error naming both records; overlaps an error unless allowed; touching is fine', () => {
    const dup = regionColumnsFromRecords([
      { chrom: 'chr1', start: 10, end: 20 },
      { chrom: 'chr1', start: 30, end: 40 },
      { chrom: 'chr1', start: 10, end: 20 },
    ]);
    expect(() => checkUniverse(dup, 'u.bed', 'allow')).toThrow(/same region twice/);
    try {
      checkUniverse(dup, 'u.bed');
    } catch (e) {
      expect(String((e as { found: string }).found)).toBe(
        'record 1 (chr1:10-20) and record 3 (chr1:10-20)',
      );
    }
    const over = regionColumnsFromRecords([
      { chrom: 'chr1', start: 10, end: 20 },
      { chrom: 'chr1', start: 19, end: 25 },
    ]);
    expect(() => checkUniverse(over, 'u.bed')).toThrow(/overlap/);
    expect(() => checkUniverse(over, 'u.bed', 'allow')).not.toThrow();
    const touching = regionColumnsFromRecords([
      { chrom: 'chr1', start: 10, end: 20 },
      { chrom: 'chr1', start: 20, end: 25 },
      { chrom: 'chr2', start: 10, end: 20 },
    ]);
    expect(() => checkUniverse(touching, 'u.bed')).not.toThrow();
  });

  it.skipIf(!hasBedtools)('a universe merged from peak sets equals bedtools merge', () => {
    let state = 12345;
    const rand = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const sets = [0, 1, 2].map(() =>
      regionColumnsFromRecords(
        Array.from({ length: 300 }, () => {
          const start = rand(20_000);
          return { chrom: ['chr1', 'chr2'][rand(2)]!, start, end: start + 1 + rand(300) };
        }),
      ),
    );
    const u = universeFromPeakSets(sets);
    const all = sets.flatMap((s) =>
      Array.from(
        { length: s.starts.length },
        (_, i) => `${s.chromNames[s.chromIds[i]!]}\t${s.starts[i]}\t${s.ends[i]}`,
      ),
    );
    const path = join(dir, 'sets.bed');
    writeFileSync(path, all.join('\n') + '\n');
    const merged = execFileSync('sh', ['-c', `sort -k1,1 -k2,2n '${path}' | bedtools merge -i -`], {
      encoding: 'utf8',
    });
    const ours = Array.from(
      { length: u.starts.length },
      (_, i) => `${u.chromNames[u.chromIds[i]!]}\t${u.starts[i]}\t${u.ends[i]}`,
    ).sort();
    expect(ours).toEqual(merged.trim().split('\n').sort());
    expect(() => checkUniverse(u, 'merged')).not.toThrow();
  });
});

describe.skipIf(!hasBedtools)('fragments → token sets equal bedtools intersect -u per cell', () => {
  const fragments = sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.tsv.gz');
  const peaks = sharedDataFile('atac', 'archr_pbsmall_hg19', 'peak_matrix_archr_peaks.bed');
  it.skipIf(!fragments || !peaks)('ArchR PBSmall: 150 cells on the 2,142 ArchR peaks', async () => {
    // Per-cell -u for 40 cells (a process each); all 150 through one -wa -wb call (unique region × barcode).
    const v = await vocabularyOf(peaks!);
    const ours = await tokenizeFragments(fragments!, v, { ...opts, universePath: peaks! });
    const lines = gunzipSync(readFileSync(fragments!))
      .toString()
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const theirs = bedtoolsTokenSets(peaks!, lines, 40);
    expect(ours.barcodes).toHaveLength(150);
    expect(ours.intervalsRead).toBe(lines.length);
    const mine = cellsOf(ours);
    expect(theirs.size).toBe(40);
    for (const [cell, toks] of theirs) expect(mine.get(cell), cell).toEqual(toks);
    const ids = tokenOfLine(peaks!);
    const pairs = execFileSync(
      'bedtools',
      ['intersect', '-wa', '-wb', '-a', peaks!, '-b', fragments!],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      },
    );
    const all = new Map<string, Set<number>>();
    for (const l of pairs.split('\n')) {
      if (!l) continue;
      const f = l.split('\t');
      const set = all.get(f[7]!) ?? new Set<number>();
      set.add(ids.get(f.slice(0, 3).join('\t'))!);
      all.set(f[7]!, set);
    }
    let total = 0;
    for (const [cell, toks] of all) {
      expect(mine.get(cell), cell).toEqual([...toks].sort((a, b) => a - b));
      total += toks.size;
    }
    expect(total).toBeGreaterThan(1000);
    expect(ours.tokens.length).toBe(total);
  });

  it('synthetic edges: 1-bp overlaps, touching intervals, chromosomes absent from the universe, zero-token cells', async () => {
    const universe = join(dir, 'edge-universe.bed');
    writeFileSync(
      universe,
      'chr1\t100\t200\nchr1\t200\t300\nchr1\t500\t501\nchr2\t0\t50\nchrX\t10\t20\n',
    );
    const frags = [
      'chr1\t50\t100\tA\t1', // touches [100, 200) from the left: no token
      'chr1\t150\t151\tB\t1', // inside the first region
      'chr1\t199\t201\tC\t1', // 1 bp into each of two touching regions
      'chr1\t300\t400\tD\t1', // touches [200, 300) from the right: no token
      'chr1\t500\t501\tE\t1', // exactly the 1-bp region
      'chr1\t501\t600\tF\t1', // just after it
      'chr2\t49\t60\tA\t1', // last base of chr2's region
      'chr3\t0\t1000\tG\t1', // chromosome absent from the universe
      'chrX\t0\t10\tH\t1',
      'chrX\t19\t30\tH\t1',
    ];
    const path = join(dir, 'edge.tsv');
    writeFileSync(path, frags.join('\n') + '\n');
    const ours = await tokenizeFragments(path, await vocabularyOf(universe), opts);
    const theirs = bedtoolsTokenSets(universe, frags);
    const mine = cellsOf(ours);
    expect([...mine.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [cell, toks] of theirs) expect(mine.get(cell), cell).toEqual(toks);
    // Zero-token cells are kept with n_tokens 0.
    expect(mine.get('A')).toEqual([10]);
    expect(mine.get('D')).toEqual([]);
    expect(mine.get('G')).toEqual([]);
    expect(mine.get('C')).toEqual([7, 8]);
  });

  it('a universe on another genome build (no shared chromosome) is an error naming both files', async () => {
    const universe = join(dir, 'ensembl.bed');
    writeFileSync(universe, '1\t100\t200\n2\t0\t50\n');
    const path = join(dir, 'ucsc.tsv');
    writeFileSync(path, 'chr1\t150\t160\tA\t1\n');
    const err: unknown = await tokenizeFragments(path, await vocabularyOf(universe), {
      ...opts,
      universePath: universe,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain(path);
    expect(message).toContain(universe);
    expect(message).toMatch(/genome build/);
  });
});

describe('subsampling to the context length', () => {
  const cell = (n: number): TokenSets => ({
    barcodes: ['AAA-1', 'CCC-1'],
    offsets: Int32Array.from([0, n, n + 5]),
    tokens: Int32Array.from([
      ...Array.from({ length: n }, (_, i) => 7 + i),
      1000,
      1001,
      1002,
      1003,
      1004,
    ]),
    nOverlapped: Int32Array.from([n, 5]),
  });

  it('keeps a seeded, ascending subset of exactly L tokens; smaller cells untouched', () => {
    const a = subsampleTokenSets(cell(100), 10, 3);
    const b = subsampleTokenSets(cell(100), 10, 3);
    expect([...a.tokens]).toEqual([...b.tokens]);
    const kept = [...a.tokens.subarray(0, 10)];
    expect(kept).toHaveLength(10);
    expect(new Set(kept).size).toBe(10);
    expect(kept.every((t) => t >= 7 && t < 107)).toBe(true);
    expect(kept).toEqual([...kept].sort((x, y) => x - y));
    expect([...a.tokens.subarray(10)]).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect(a.nOverlapped[0]).toBe(100);
    expect([...subsampleTokenSets(cell(100), 10, 4).tokens.subarray(0, 10)]).not.toEqual(kept);
  });

  it('is uniform: over 2,000 seeds each of 50 tokens is kept with frequency L/n = 0.2 (binomial 4 SD)', () => {
    const freq = new Float64Array(50);
    const seeds = 2000;
    for (let s = 0; s < seeds; s++) {
      const r = subsampleTokenSets(cell(50), 10, s);
      for (const t of r.tokens.subarray(0, 10)) freq[t - 7]! += 1 / seeds;
    }
    const sd = Math.sqrt((0.2 * 0.8) / seeds);
    for (const f of freq) expect(Math.abs(f - 0.2)).toBeLessThan(4 * sd);
  });
});

describe('token table', () => {
  it('round-trips through an Arrow file with the vocabulary hash in its metadata', async () => {
    const sets: TokenSets = {
      barcodes: ['A', 'B', 'C'],
      offsets: Int32Array.from([0, 2, 2, 5]),
      tokens: Int32Array.from([7, 9, 8, 10, 12]),
      nOverlapped: Int32Array.from([2, 0, 3]),
    };
    const path = join(dir, 'tokens.arrow');
    await writeTable(
      path,
      tokenSetsToTable(sets, { vocabularyHash: 'abc', contextLength: 8192, seed: 1 }),
    );
    const back = tokenSetsFromTable(await readTable(path), path);
    expect(back.barcodes).toEqual(['A', 'B', 'C']);
    expect([...back.offsets]).toEqual([0, 2, 2, 5]);
    expect([...back.tokens]).toEqual([7, 9, 8, 10, 12]);
    expect(back.vocabularyHash).toBe('abc');
    const py = '/usr/bin/python3';
    const hasPyarrow = spawnSync(py, ['-c', 'import pyarrow']).status === 0;
    if (!hasPyarrow)
      return console.warn('skipping: /usr/bin/python3 has no pyarrow (pandas reading not checked)');
    const out = execFileSync(
      py,
      [
        '-c',
        'import sys, pyarrow as pa; t = pa.ipc.open_file(sys.argv[1]).read_all(); df = t.to_pandas(); print([list(x) for x in df["tokens"]], list(df["n_tokens"]), t.schema.metadata[b"chromflow.tokens.vocabulary-sha256"].decode())',
        path,
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('[[7, 9], [], [8, 10, 12]] [2, 0, 3] abc');
  });
});
