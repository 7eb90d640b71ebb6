import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  outputFileName,
  readTable,
  sharedDataFile,
  sparseFromTable,
  writeTable,
  type StageContext,
} from '@chromflow/core';
import { readBed, regionsToTable } from '@chromflow/genome-io';
import { stages } from '../src/index.js';

// Oracles: fragment lines counted straight from the gzip text, and the
// published ArchR PBSmall cluster sizes (../shared/data README: 49, 43, 35).

const dir = mkdtempSync(join(tmpdir(), 'atac-qc-filter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  outputs: Record<string, string>;
  warnings: string[];
  info: string[];
  metrics: Record<string, number | string>;
}

let runs = 0;
async function runStage(
  name: string,
  inputs: Record<string, string | undefined>,
  params: Record<string, unknown> = {},
): Promise<Ran> {
  const s = stages.find((x) => x.name === name)!;
  const defaults = Object.fromEntries(
    Object.entries(s.params.properties).map(([k, v]) => [k, v.default]),
  );
  const out = join(dir, `${name}-${runs++}`);
  const outputs = Object.fromEntries(
    Object.entries(s.outputs).map(([port, spec]) => [
      port,
      join(`${out}.${port}`, outputFileName(port, spec)),
    ]),
  );
  const warnings: string[] = [];
  const info: string[] = [];
  const ctx: StageContext<Record<string, unknown>> = {
    params: { ...defaults, ...params },
    inputs,
    outputs,
    tempDir: dir,
    log: { info: (m) => info.push(m), warn: (m) => warnings.push(m) },
    onProgress: () => {},
    signal: new AbortController().signal,
  };
  const r = await s.run(ctx);
  return { outputs, warnings, info, metrics: (r && r.metrics) ?? {} };
}

/** Fragment lines per barcode, from the text (the definition of n_fragments). */
function fragmentsPerBarcode(path: string): Map<string, number> {
  const n = new Map<string, number>();
  for (const l of gunzipSync(readFileSync(path)).toString('utf8').split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const b = l.split('\t')[3]!;
    n.set(b, (n.get(b) ?? 0) + 1);
  }
  return n;
}

const barcodesOf = async (path: string): Promise<string[]> =>
  [...(await readTable(path)).getChild('barcode')!].map(String);

const testData = resolve(__dirname, '../../../test-data');
const have = ['fragments.tsv.gz', 'cells.tsv', 'peaks.bed'].every((f) =>
  existsSync(join(testData, f)),
);
if (!have) console.warn('skipping: test-data/fragments.tsv.gz, cells.tsv or peaks.bed is absent');

describe.skipIf(!have)('cell-qc filters what counting, pseudobulk and LSI see (test-data)', () => {
  it('cells under minFragments fail QC with their reason; only passing cells become rows of the counts', async () => {
    const fragments = join(testData, 'fragments.tsv.gz');
    const cellsTsv = join(testData, 'cells.tsv');
    const peaks = join(dir, 'peaks.parquet');
    await writeTable(peaks, regionsToTable(await readBed(join(testData, 'peaks.bed'))));
    const cellLines = readFileSync(cellsTsv, 'utf8').trim().split('\n').slice(1);
    const perCell = fragmentsPerBarcode(fragments);
    const counts = cellLines.map((l) => perCell.get(l.split('\t')[0]!) ?? 0).sort((a, b) => a - b);
    const threshold = counts[Math.floor(counts.length / 4)]!; // drops about a quarter
    const expectKept = cellLines.filter((l) => (perCell.get(l.split('\t')[0]!) ?? 0) >= threshold);

    const qc = await runStage(
      'atac-pseudobulk.cell-qc',
      { fragments, peaks, cells: cellsTsv },
      { minFragments: threshold },
    );
    // The passing cell table: the header and the kept lines of cells.tsv, verbatim.
    const passing = readFileSync(qc.outputs['passing']!, 'utf8');
    expect(passing).toBe(
      `${readFileSync(cellsTsv, 'utf8').split('\n')[0]}\n${expectKept.map((l) => `${l}\n`).join('')}`,
    );
    const t = await readTable(qc.outputs['cells']!);
    const fail = [...t.getChild('qc_fail')!].map(String);
    const dropped = cellLines.length - expectKept.length;
    expect(dropped).toBeGreaterThan(0);
    expect(fail.filter((f) => f === 'min_fragments').length).toBe(dropped);
    expect(fail.filter((f) => f === '').length).toBe(expectKept.length);
    expect(qc.metrics['passQc']).toBe(expectKept.length);
    expect(qc.metrics['dropped_min_fragments']).toBe(dropped);
    expect(qc.info.join('\n')).toContain(
      `${expectKept.length} of ${cellLines.length} cells pass QC, ${dropped} dropped (${dropped} min_fragments`,
    );

    const cm = await runStage('atac-pseudobulk.count-matrix', {
      fragments,
      peaks,
      cells: qc.outputs['passing'],
    });
    const kept = expectKept.map((l) => l.split('\t')[0]!);
    expect(await barcodesOf(cm.outputs['cells']!)).toEqual(kept);
    expect(sparseFromTable(await readTable(cm.outputs['counts']!)).nRows).toBe(kept.length);

    const pb = await runStage('atac-pseudobulk.pseudobulk', {
      counts: cm.outputs['counts'],
      cells: cm.outputs['cells'],
      regions: cm.outputs['regions'],
    });
    expect(pb.metrics['cells']).toBe(kept.length);
    expect(pb.warnings).toEqual([]);
    const lsi = await runStage(
      'atac-pseudobulk.lsi',
      { counts: cm.outputs['counts'], cells: cm.outputs['cells'] },
      { components: 5 },
    );
    expect(await barcodesOf(lsi.outputs['lsi']!)).toEqual(kept);
  });

  it('with the default thresholds every test-data cell passes and `passing` is byte-identical to cells.tsv', async () => {
    const cellsTsv = join(testData, 'cells.tsv');
    const qc = await runStage('atac-pseudobulk.cell-qc', {
      fragments: join(testData, 'fragments.tsv.gz'),
      cells: cellsTsv,
    });
    expect(readFileSync(qc.outputs['passing']!)).toEqual(readFileSync(cellsTsv));
    expect(qc.metrics['dropped']).toBe(0);
  });

  it('no cell passing QC is a warning naming why', async () => {
    const qc = await runStage(
      'atac-pseudobulk.cell-qc',
      { fragments: join(testData, 'fragments.tsv.gz'), cells: join(testData, 'cells.tsv') },
      { minFragments: 1e9 },
    );
    const n = readFileSync(join(testData, 'cells.tsv'), 'utf8').trim().split('\n').length - 1;
    expect(qc.warnings.join('\n')).toContain(`no cell passes QC (${n} min_fragments)`);
  });

  it('pseudobulk groups by a `labels` file and its labelColumn', async () => {
    const fragments = join(testData, 'fragments.tsv.gz');
    const peaks = join(dir, 'peaks2.parquet');
    await writeTable(peaks, regionsToTable(await readBed(join(testData, 'peaks.bed'))));
    // No cell table: every barcode is a row, unlabelled.
    const cm = await runStage('atac-pseudobulk.count-matrix', { fragments, peaks });
    const pb = await runStage(
      'atac-pseudobulk.pseudobulk',
      {
        counts: cm.outputs['counts'],
        cells: cm.outputs['cells'],
        regions: cm.outputs['regions'],
        labels: join(testData, 'cells.tsv'),
      },
      { labelColumn: 'cell_type' },
    );
    const truth = readFileSync(join(testData, 'cells.tsv'), 'utf8').trim().split('\n').slice(1);
    const types = new Set(truth.map((l) => l.split('\t')[1]!));
    const groups = new Set([...(await readTable(pb.outputs['pseudobulk']!)).getChild('group')!]);
    expect(groups).toEqual(types);
    expect(pb.metrics['cells']).toBe(truth.length);
  });
});

const cellColData = sharedDataFile('atac', 'archr_pbsmall_hg19', 'cells_archr_cellColData.tsv');
const pbFragments = sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.tsv.gz');
const pbPeaks = sharedDataFile('atac', 'archr_pbsmall_hg19', 'peak_matrix_archr_peaks.bed');
const haveArchr = !!(cellColData && pbFragments && pbPeaks);

describe.skipIf(!haveArchr)('ArchR PBSmall cell table: labelColumn', () => {
  async function countWith(params: Record<string, unknown>): Promise<Ran & { pb: Ran }> {
    const peaks = join(dir, 'pbsmall-peaks.parquet');
    await writeTable(peaks, regionsToTable(await readBed(pbPeaks!)));
    const cm = await runStage(
      'atac-pseudobulk.count-matrix',
      { fragments: pbFragments, peaks, cells: cellColData },
      params,
    );
    const pb = await runStage('atac-pseudobulk.pseudobulk', {
      counts: cm.outputs['counts'],
      cells: cm.outputs['cells'],
      regions: cm.outputs['regions'],
    });
    return { ...cm, pb };
  }

  it("labelColumn 'Clusters' gives ArchR's three clusters of 49, 43 and 35 cells", async () => {
    const r = await countWith({ labelColumn: 'Clusters' });
    const t = await readTable(r.outputs['cells']!);
    const labels = [...t.getChild('label')!].map(String);
    const sizes = Object.fromEntries(
      ['C1', 'C2', 'C3'].map((c) => [c, labels.filter((l) => l === c).length]),
    );
    expect(sizes).toEqual({ C1: 49, C2: 43, C3: 35 });
    expect(r.pb.metrics['groups']).toBe(3);
    expect([...r.warnings, ...r.pb.warnings]).toEqual([]);
  });

  it('the default label column (ArchR’s `cell`, one value per cell) is warned about, not silent', async () => {
    const r = await countWith({});
    expect(r.pb.metrics['groups']).toBe(127);
    expect(r.warnings.join('\n')).toMatch(
      /every one of the 127 labelled cells is its own group \(label column 'cell'\).*labelColumn/,
    );
    expect(r.pb.warnings.join('\n')).toMatch(
      /every one of the 127 labelled cells is its own group/,
    );
  });
});

const muon = (f: string): string | undefined =>
  sharedDataFile('multiome', 'muon_pbmc_10x_multiome', f);
const muonFiles = ['fragments.tsv.gz', 'barcodes.tsv', 'peaks.bed'].map(muon);

describe.skipIf(muonFiles.some((f) => f === undefined))(
  'muon multiome: the 600-cell table whose QC and counts used to disagree (600 vs 587 rows)',
  () => {
    it('cell-qc passing → count-matrix → pseudobulk/LSI: QC kept rows = count rows = cells with fragments in the text', async () => {
      const [fragments, barcodes, bed] = muonFiles as string[];
      const peaks = join(dir, 'muon-peaks.parquet');
      await writeTable(peaks, regionsToTable(await readBed(bed!)));
      const perBarcode = fragmentsPerBarcode(fragments!);
      const cells = readFileSync(barcodes!, 'utf8').trim().split('\n');
      const withFragments = cells.filter((b) => (perBarcode.get(b) ?? 0) > 0);
      const qc = await runStage(
        'atac-pseudobulk.cell-qc',
        { fragments, peaks, cells: barcodes },
        { missingCells: 'keep' },
      );
      expect(qc.metrics['cells']).toBe(cells.length);
      expect(qc.metrics['passQc']).toBe(withFragments.length);
      expect(qc.metrics['dropped_min_fragments']).toBe(cells.length - withFragments.length);
      const cm = await runStage('atac-pseudobulk.count-matrix', {
        fragments,
        peaks,
        cells: qc.outputs['passing'],
      });
      expect(await barcodesOf(cm.outputs['cells']!)).toEqual(withFragments);
      expect(cm.metrics['droppedCells']).toBe(0);
      const lsi = await runStage(
        'atac-pseudobulk.lsi',
        { counts: cm.outputs['counts'], cells: cm.outputs['cells'] },
        { components: 5 },
      );
      expect(await barcodesOf(lsi.outputs['lsi']!)).toEqual(withFragments);
    }, 120_000);
  },
);
