import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readTable, type StageContext } from '@chromflow/core';
import { stages, tokenSetsFromTable, VOCABULARY_HASH_KEY } from '../src/index.js';

const testData = resolve(__dirname, '../../../test-data');
const fragments = join(testData, 'fragments.tsv.gz');
const peaks = join(testData, 'peaks.bed');
const have = existsSync(fragments) && existsSync(peaks);
if (!have) console.warn('skipping: test-data/fragments.tsv.gz or peaks.bed is not there');
const hasBedtools = spawnSync('bedtools', ['--version']).status === 0;
if (!hasBedtools) console.warn('skipping: bedtools is not installed (apt-get install bedtools)');

const dir = mkdtempSync(join(tmpdir(), 'atac-tokens-stage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stage = stages.find((s) => s.name === 'atac-pseudobulk.tokenize')!;

async function runTokenize(
  inputs: Record<string, string | undefined>,
  params: Record<string, unknown> = {},
  tag = 'run',
): Promise<{ tokens: string; vocabulary: string }> {
  const defaults = Object.fromEntries(
    Object.entries(stage.params.properties).map(([k, v]) => [k, v.default]),
  );
  const outputs = {
    tokens: join(dir, `${tag}.tokens.arrow`),
    vocabulary: join(dir, `${tag}.vocab.tsv`),
  };
  const ctx: StageContext<Record<string, unknown>> = {
    params: { ...defaults, ...params },
    inputs,
    outputs,
    tempDir: dir,
    log: { info: () => {}, warn: () => {} },
    onProgress: () => {},
    signal: new AbortController().signal,
  };
  await stage.run(ctx);
  return outputs;
}

/** `bedtools intersect -u -a peaks -b <bed>` as 0-based line numbers of peaks.bed + 7. */
function bedtoolsTokens(bed: string): number[] {
  const lineOf = new Map(
    readFileSync(peaks, 'utf8')
      .trim()
      .split('\n')
      .map((l, i) => [l.split('\t').slice(0, 3).join('\t'), i + 7] as const),
  );
  return execFileSync('bedtools', ['intersect', '-u', '-a', peaks, '-b', bed], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l)
    .map((l) => lineOf.get(l.split('\t').slice(0, 3).join('\t'))!)
    .sort((a, b) => a - b);
}

describe.skipIf(!have || !hasBedtools)('atac-pseudobulk.tokenize on test-data', () => {
  it('fragments + peaks universe: per-cell tokens equal bedtools -u, subsampled to the context length, hash in metadata', async () => {
    const out = await runTokenize({ fragments, universe: peaks }, { contextLength: 50, seed: 7 });
    const t = await readTable(out.tokens);
    const sets = tokenSetsFromTable(t, out.tokens);
    const sha = createHash('sha256').update(readFileSync(out.vocabulary)).digest('hex');
    expect(t.schema.metadata.get(VOCABULARY_HASH_KEY)).toBe(sha);
    expect(sets.contextLength).toBe(50);
    const lines = gunzipSync(readFileSync(fragments))
      .toString()
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const cells = [...new Set(lines.map((l) => l.split('\t')[3]!))];
    expect([...sets.barcodes].sort()).toEqual([...cells].sort());
    // Three cells through bedtools: the full set is n_overlapped; the kept tokens are a subset of it.
    for (const cell of cells.slice(0, 3)) {
      const bed = join(dir, 'cell.bed');
      writeFileSync(bed, lines.filter((l) => l.split('\t')[3] === cell).join('\n') + '\n');
      const want = bedtoolsTokens(bed);
      const r = sets.barcodes.indexOf(cell);
      const got = [...sets.tokens.subarray(sets.offsets[r], sets.offsets[r + 1])];
      expect(sets.nOverlapped[r]).toBe(want.length);
      expect(got).toHaveLength(Math.min(50, want.length));
      expect(got.every((x) => want.includes(x))).toBe(true);
    }
  });

  it('a single BED sample is one cell named after the file, its tokens those of bedtools -u', async () => {
    const bed = join(dir, 'sample.bed');
    writeFileSync(bed, 'chr1\t0\t200000\nchr2\t5000\t90000\nchr9\t0\t100\n');
    const out = await runTokenize({ bed, universe: peaks }, {}, 'bed');
    const sets = tokenSetsFromTable(await readTable(out.tokens), out.tokens);
    expect(sets.barcodes).toEqual(['sample.bed']);
    expect([...sets.tokens]).toEqual(bedtoolsTokens(bed));
    expect(sets.tokens.length).toBeGreaterThan(0);
  });

  it('refuses both or neither of fragments and bed, and a vocabulary that is not a vocabulary', async () => {
    await expect(runTokenize({ universe: peaks }, {}, 'none')).rejects.toThrow(
      /either fragments or a bed/,
    );
    await expect(
      runTokenize({ fragments, vocabulary: peaks }, {}, 'badvocab'),
    ).rejects.toMatchObject({
      code: 'PARSE',
      line: 1,
    });
  });

  it('reads its own vocabulary back as the token source and gives the same tokens', async () => {
    const a = await runTokenize({ fragments, universe: peaks }, {}, 'a');
    const b = await runTokenize({ fragments, vocabulary: a.vocabulary }, {}, 'b');
    const ta = tokenSetsFromTable(await readTable(a.tokens));
    const tb = tokenSetsFromTable(await readTable(b.tokens));
    expect([...tb.tokens]).toEqual([...ta.tokens]);
    expect(tb.vocabularyHash).toBe(ta.vocabularyHash);
  });

  it('with a cell table, the rows are its cells in its order', async () => {
    const cellsPath = join(testData, 'cells.tsv');
    const listed = readFileSync(cellsPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[0]!)
      .filter((b) => b !== 'barcode');
    const out = await runTokenize({ fragments, universe: peaks, cells: cellsPath }, {}, 'cells');
    const sets = tokenSetsFromTable(await readTable(out.tokens));
    expect(sets.barcodes).toEqual(listed);
  });
});
