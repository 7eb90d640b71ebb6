import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ChromflowError,
  encodingOf,
  readTable,
  sparseFromTable,
  writeTable,
  type Stage,
  type StageContext,
} from '@chromflow/core';
import { genesToTable, readBed, readGenes, regionsToTable } from '@chromflow/genome-io';
import { pearson } from '@chromflow/core';
import { stages } from '../src/index.js';

const testData = resolve(__dirname, '../../../test-data');
const have =
  existsSync(join(testData, 'fragments.tsv.gz')) && existsSync(join(testData, 'cells.tsv'));
if (!have) console.warn('skipping: test-data/fragments.tsv.gz or cells.tsv is not there yet');

const dir = mkdtempSync(join(tmpdir(), 'atac-stages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stage(name: string): Stage {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
}

/** Runs a stage with its defaults filled in (what the orchestrator does after validation). */
async function runStage(
  name: string,
  inputs: Record<string, string | undefined>,
  params: Record<string, unknown> = {},
): Promise<Record<string, string>> {
  const s = stage(name);
  const defaults = Object.fromEntries(
    Object.entries(s.params.properties).map(([k, v]) => [k, v.default]),
  );
  const outputs = Object.fromEntries(
    Object.entries(s.outputs).map(([port, spec]) => [
      port,
      join(dir, `${name}.${port}${spec.kind === 'table' ? '.parquet' : ''}`),
    ]),
  );
  const ctx: StageContext<Record<string, unknown>> = {
    params: { ...defaults, ...params },
    inputs,
    outputs,
    tempDir: dir,
    log: { info: () => {}, warn: () => {} },
    onProgress: () => {},
    signal: new AbortController().signal,
  };
  await s.run(ctx);
  return outputs;
}

describe('stage declarations', () => {
  it('are the seven named stages with complete parameter schemas', () => {
    expect(stages.map((s) => s.name)).toEqual([
      'atac-pseudobulk.count-matrix',
      'atac-pseudobulk.tile-matrix',
      'atac-pseudobulk.cell-qc',
      'atac-pseudobulk.pseudobulk',
      'atac-pseudobulk.lsi',
      'atac-pseudobulk.tokenize',
      'atac-pseudobulk.universe',
    ]);
    for (const s of stages) {
      for (const [k, p] of Object.entries(s.params.properties)) {
        expect(p.default, `${s.name}.${k}`).toBeDefined();
        expect(p.description.length).toBeGreaterThan(5);
      }
    }
  });
});

describe.skipIf(!have)('stages on test-data (planted truth as oracle)', () => {
  const truth = have
    ? (JSON.parse(readFileSync(join(testData, 'truth.json'), 'utf8')) as {
        peaks: { name: string; openProbability: Record<string, number> }[];
      })
    : undefined;
  let peaksTable = '';
  let countOut: Record<string, string> = {};

  it('count-matrix: every fragment of a labelled cell is counted once in n_fragments', async () => {
    peaksTable = join(dir, 'peaks.parquet');
    await writeTable(peaksTable, regionsToTable(await readBed(join(testData, 'peaks.bed'))));
    countOut = await runStage('atac-pseudobulk.count-matrix', {
      fragments: join(testData, 'fragments.tsv.gz'),
      peaks: peaksTable,
      cells: join(testData, 'cells.tsv'),
    });
    const cells = await readTable(countOut['cells']!);
    expect(encodingOf(cells)?.type).toBe('cells');
    const counts = await readTable(countOut['counts']!);
    expect(encodingOf(counts)?.type).toBe('sparse-coo');
    const m = sparseFromTable(counts);
    expect(m.nCols).toBe(
      readFileSync(join(testData, 'peaks.bed'), 'utf8').trim().split('\n').length,
    );
    // Oracle: the fragment lines per barcode, counted straight from the text.
    const perBarcode = new Map<string, number>();
    for (const l of gunzipSync(readFileSync(join(testData, 'fragments.tsv.gz')))
      .toString()
      .split('\n')) {
      if (!l || l.startsWith('#')) continue;
      const b = l.split('\t')[3]!;
      perBarcode.set(b, (perBarcode.get(b) ?? 0) + 1);
    }
    const barcodes = [...cells.getChild('barcode')!].map(String);
    const nFrag = [...cells.getChild('n_fragments')!].map(Number);
    barcodes.forEach((b, i) => expect(nFrag[i]).toBe(perBarcode.get(b)));
  });

  it('tile-matrix: tiles cover each chromosome of the genome, and every (cell, tile) count equals the insertions counted from the text', async () => {
    const out = await runStage(
      'atac-pseudobulk.tile-matrix',
      {
        fragments: join(testData, 'fragments.tsv.gz'),
        genome: join(testData, 'genome.fa'),
        cells: join(testData, 'cells.tsv'),
      },
      { tileSize: 5000, binarise: false },
    );
    const tiles = await readTable(out['tiles']!);
    const chroms = [...tiles.getChild('chrom')!].map(String);
    const starts = [...tiles.getChild('start')!].map(Number);
    const ends = [...tiles.getChild('end')!].map(Number);
    // Oracle 1: the .fai sizes (samtools faidx layout): ceil(size / 5000) tiles each, last one clipped.
    for (const line of readFileSync(join(testData, 'genome.fa.fai'), 'utf8').trim().split('\n')) {
      const [name, size] = line.split('\t');
      const idx = chroms.flatMap((c, i) => (c === name ? [i] : []));
      expect(idx.length, name).toBe(Math.ceil(Number(size) / 5000));
      expect(ends[idx[idx.length - 1]!]).toBe(Number(size));
    }
    // Oracle 2: Tn5 insertions (start, end − 1) per (barcode, tile), from the text.
    const tileOf = new Map<string, number>();
    chroms.forEach((c, i) => tileOf.set(`${c}:${starts[i]!}`, i));
    const expected = new Map<string, number>();
    for (const l of gunzipSync(readFileSync(join(testData, 'fragments.tsv.gz')))
      .toString()
      .split('\n')) {
      if (!l || l.startsWith('#')) continue;
      const [chrom, s, e, b] = l.split('\t');
      for (const pos of [Number(s), Number(e) - 1]) {
        const key = `${b!}\t${tileOf.get(`${chrom!}:${Math.floor(pos / 5000) * 5000}`)!}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
    }
    const barcodes = [...(await readTable(out['cells']!)).getChild('barcode')!].map(String);
    const m = sparseFromTable(await readTable(out['counts']!));
    expect(m.nCols).toBe(chroms.length);
    expect(m.values.length).toBe(expected.size);
    for (let q = 0; q < m.values.length; q++) {
      expect(m.values[q], `${barcodes[m.rows[q]!]!} tile ${m.cols[q]!}`).toBe(
        expected.get(`${barcodes[m.rows[q]!]!}\t${m.cols[q]!}`),
      );
    }
  });

  it('pseudobulk: group accessibility follows the planted open probabilities', async () => {
    const out = await runStage('atac-pseudobulk.pseudobulk', {
      counts: countOut['counts'],
      cells: countOut['cells'],
      regions: countOut['regions'],
      fragments: join(testData, 'fragments.tsv.gz'),
    });
    const t = await readTable(out['pseudobulk']!);
    expect(encodingOf(t)?.type).toBe('pseudobulk');
    const groups = [...t.getChild('group')!].map(String);
    const region = [...t.getChild('region')!].map(Number);
    const acc = [...t.getChild('accessibility')!].map(Number);
    for (const g of new Set(groups)) {
      const ours: number[] = [];
      const planted: number[] = [];
      groups.forEach((x, i) => {
        if (x !== g) return;
        ours.push(acc[i]!);
        planted.push(truth!.peaks[region[i]!]!.openProbability[g]!);
      });
      expect(Math.max(...ours)).toBeCloseTo(1, 12);
      expect(pearson(ours, planted), g).toBeGreaterThan(0.5);
    }
    const tracks = readdirSync(out['tracks']!);
    expect(tracks.sort()).toEqual([...new Set(groups)].sort().map((g) => `${g}.bedGraph`));
  });

  it('lsi: cells of one planted type are nearest neighbours', async () => {
    const out = await runStage(
      'atac-pseudobulk.lsi',
      { counts: countOut['counts'], cells: countOut['cells'] },
      { components: 10 },
    );
    const t = await readTable(out['lsi']!);
    expect(encodingOf(t)?.type).toBe('lsi');
    const cells = await readTable(countOut['cells']!);
    const labels = [...cells.getChild('label')!].map(String);
    const pts = labels.map((_, i) =>
      [2, 3, 4, 5, 6].map((c) => Number(t.getChild(`lsi${c}`)!.get(i))),
    );
    let right = 0;
    pts.forEach((p, i) => {
      let best = -1;
      let bestD = Infinity;
      pts.forEach((q, j) => {
        const d = j === i ? Infinity : q.reduce((s, x, c) => s + (x - p[c]!) ** 2, 0);
        if (d < bestD) [best, bestD] = [j, d];
      });
      if (labels[best] === labels[i]) right++;
    });
    expect(right / pts.length).toBeGreaterThan(0.8);
    expect(t.schema.metadata.get('chromflow.lsi.depth-correlations')).toMatch(/^-?\d/);
  });

  it('cell-qc: writes QC columns and a pass_qc call', async () => {
    const genesTable = join(dir, 'genes.parquet');
    await writeTable(genesTable, genesToTable(await readGenes(join(testData, 'genes.gtf'))));
    const out = await runStage(
      'atac-pseudobulk.cell-qc',
      {
        fragments: join(testData, 'fragments.tsv.gz'),
        peaks: peaksTable,
        genes: genesTable,
        cells: join(testData, 'cells.tsv'),
      },
      { minFragments: 500 },
    );
    const tssScores = [...(await readTable(out['cells']!)).getChild('tss_enrichment')!].map(Number);
    expect(tssScores.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
    const t = await readTable(out['cells']!);
    const nFrag = [...t.getChild('n_fragments')!].map(Number);
    const pass = [...t.getChild('pass_qc')!];
    nFrag.forEach((n, i) => expect(pass[i]).toBe(n >= 500));
    const frip = [...t.getChild('frip')!].map(Number);
    expect(frip.every((f) => f >= 0 && f <= 1)).toBe(true);
  });

  it('count-matrix: a cell table with barcodes absent from the fragments is a located error', async () => {
    const bad = join(dir, 'bad-cells.tsv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, 'barcode\tcell_type\nNOT-A-BARCODE-1\tB\nAAAACTTTTTGGCGAA-1\tB\n');
    await expect(
      runStage('atac-pseudobulk.count-matrix', {
        fragments: join(testData, 'fragments.tsv.gz'),
        peaks: peaksTable,
        cells: bad,
      }),
    ).rejects.toThrow(ChromflowError);
  });
});
