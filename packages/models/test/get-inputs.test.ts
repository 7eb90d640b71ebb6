import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChromflowError, SeededRandom } from '@chromflow/core';
import { motifClustersFromText, readMotifs } from '@chromflow/genome-io';
import type { Regions, RegionMotifMatrix } from '@chromflow/genome-io';
import { pseudobulkToTable, scorePseudobulk } from '@chromflow/atac-pseudobulk';
import {
  accessibilityFromPseudobulk,
  getArraysFromTables,
  getFeaturesToTable,
  getLabelsToTable,
  getWindowInput,
  getWindowsToTable,
  makeExpressionLabels,
  makeGetInputs,
  makeGetMotifFeatures,
  makeGetWindows,
} from '../src/get/index.js';
import type { GeneTssExpression, GetInputSources } from '../src/get/index.js';

const TEST_DATA = resolve(import.meta.dirname, '../../../test-data');
const hasBedtools = spawnSync('bedtools', ['--version']).status === 0;
if (!hasBedtools) console.warn('skipping: bedtools is not installed (apt-get install bedtools)');
const numpyPython = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import numpy']).status === 0,
);
if (!numpyPython) console.warn('skipping: no python3 with numpy (apt-get install python3-numpy)');

/** `n` regions per chromosome, 200–800 bp, 300–3,000 bp apart, names r0, r1, … */
function randomRegions(rng: SeededRandom, chroms: string[], n: number): Regions {
  const chromIds: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  chroms.forEach((_, c) => {
    let at = rng.int(0, 2000);
    for (let i = 0; i < n; i++) {
      const len = rng.int(200, 800);
      chromIds.push(c);
      starts.push(at);
      ends.push(at + len);
      at += len + rng.int(300, 3000);
    }
  });
  // Shuffle rows: the functions must not rely on input order.
  const rows = rng.shuffle(Array.from(starts, (_, i) => i));
  return {
    chromNames: chroms,
    chromIds: Int32Array.from(rows, (r) => chromIds[r]!),
    starts: Int32Array.from(rows, (r) => starts[r]!),
    ends: Int32Array.from(rows, (r) => ends[r]!),
    names: rows.map((_, i) => `r${i}`),
    columns: {},
    length: rows.length,
  };
}

function randomGenes(
  rng: SeededRandom,
  regions: Regions,
  n: number,
  types: string[],
): GeneTssExpression {
  let span = 0;
  for (let i = 0; i < regions.length; i++) span = Math.max(span, regions.ends[i]!);
  const chroms: string[] = [];
  const tsses: number[] = [];
  const strands: ('+' | '-')[] = [];
  for (let g = 0; g < n; g++) {
    chroms.push(regions.chromNames[rng.int(0, regions.chromNames.length)]!);
    // Half near a region edge (±400 bp), so the ±300 boundary is exercised.
    const r = rng.int(0, regions.length);
    tsses.push(
      rng.uniform() < 0.5
        ? Math.max(
            0,
            (rng.uniform() < 0.5 ? regions.starts[r]! : regions.ends[r]!) + rng.int(-400, 400),
          )
        : rng.int(0, span),
    );
    strands.push(rng.uniform() < 0.5 ? '+' : '-');
  }
  return {
    cellTypes: types,
    geneIds: chroms.map((_, g) => `G${g}`),
    chroms,
    tsses: Int32Array.from(tsses),
    strands,
    values: Float64Array.from(
      { length: n * types.length },
      () => Math.round(rng.uniform() * 4000) / 1000,
    ),
  };
}

describe('expression labels', () => {
  it.skipIf(!hasBedtools)(
    'label the regions `bedtools window -w 300` pairs with each TSS, max per strand',
    async () => {
      const rng = new SeededRandom(13);
      const regions = randomRegions(rng, ['chr1', 'chr2'], 150);
      const genes = randomGenes(rng, regions, 400, ['A', 'B']);
      const dir = await mkdtemp(join(tmpdir(), 'get-labels-'));
      try {
        const bed = (i: number): string =>
          `${regions.chromNames[regions.chromIds[i]!]}\t${regions.starts[i]}\t${regions.ends[i]}\t${i}\n`;
        await writeFile(
          join(dir, 'regions.bed'),
          Array.from({ length: regions.length }, (_, i) => bed(i)).join(''),
        );
        await writeFile(
          join(dir, 'tss.bed'),
          genes.geneIds
            .map(
              (id, g) =>
                `${genes.chroms[g]}\t${genes.tsses[g]}\t${genes.tsses[g]! + 1}\t${g}\t0\t${genes.strands[g]}\n`,
            )
            .join(''),
        );
        const out = execFileSync(
          'bedtools',
          ['window', '-w', '300', '-a', join(dir, 'tss.bed'), '-b', join(dir, 'regions.bed')],
          { encoding: 'utf8' },
        );
        const expected = new Float32Array(2 * regions.length * 2);
        const mask = new Uint8Array(regions.length * 2);
        let pairs = 0;
        for (const line of out.split('\n')) {
          if (!line) continue;
          const f = line.split('\t');
          const g = Number(f[3]);
          const r = Number(f[9]);
          const s = f[5] === '-' ? 1 : 0;
          mask[r * 2 + s] = 1;
          pairs++;
          for (let t = 0; t < 2; t++) {
            const at = (t * regions.length + r) * 2 + s;
            expected[at] = Math.max(expected[at]!, genes.values[g * 2 + t]!);
          }
        }
        expect(pairs).toBeGreaterThan(100);
        const labels = makeExpressionLabels(regions, genes);
        expect(Array.from(labels.tssMask)).toEqual(Array.from(mask));
        expect(Array.from(labels.values)).toEqual(Array.from(expected));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it('refuses genes on other chromosome names (another build) and genes near no region, naming file and field', () => {
    const rng = new SeededRandom(2);
    const regions = randomRegions(rng, ['chr1'], 20);
    const genes = randomGenes(rng, regions, 10, ['A']);
    const other = { ...genes, chroms: genes.chroms.map(() => '1') };
    expect(() => makeExpressionLabels(regions, other, { path: 'expr.parquet' })).toThrow(
      expect.objectContaining({ code: 'VALUE', path: 'expr.parquet', field: 'chrom' }) as Error,
    );
    const far = { ...genes, tsses: genes.tsses.map(() => 50_000_000) };
    expect(() => makeExpressionLabels(regions, far, { path: 'expr.parquet' })).toThrow(
      expect.objectContaining({ code: 'VALUE', path: 'expr.parquet', field: 'tss' }) as Error,
    );
  });
});

describe('windows', () => {
  it('cover each chromosome in genomic order with stride, one more window ending at the last region', () => {
    const rng = new SeededRandom(5);
    const regions = randomRegions(rng, ['chr1', 'chr2'], 25);
    const w = makeGetWindows(regions, { size: 10, stride: 4 });
    // 25 regions: starts 0, 4, 8, 12 (ends 22), then one ending at 25 → 5 per chromosome.
    expect(Array.from(w.firsts)).toEqual([0, 4, 8, 12, 15, 25, 29, 33, 37, 40]);
    expect(w.chroms).toEqual([...Array(5).fill('chr1'), ...Array(5).fill('chr2')]);
    for (let k = 1; k < 25; k++) {
      expect(regions.starts[w.order[k]!]!).toBeGreaterThan(regions.starts[w.order[k - 1]!]!);
    }
    expect(() => makeGetWindows(regions, { size: 26, path: 'regions.parquet' })).toThrow(
      expect.objectContaining({
        code: 'VALUE',
        path: 'regions.parquet',
        field: 'windowSize',
      }) as Error,
    );
    expect(makeGetWindows(regions, { size: 25, stride: 100 }).firsts.length).toBe(2);
  });
});

describe('accessibility from the pseudobulk', () => {
  it("is log10(count/total·1e5 + 1) / max, by hand, and 'accessible' in binary mode", () => {
    const counts = [0, 3, 10, 7, 5, 0, 1, 2];
    const sums = {
      groups: ['X', 'Y'],
      nRegions: 4,
      counts: Float64Array.from(counts),
      nCells: Int32Array.from([3, 2]),
    };
    const table = pseudobulkToTable(sums, scorePseudobulk(sums, 1));
    const q = accessibilityFromPseudobulk(table, 4, 'quantitative');
    const hand = (c: number, total: number): number => Math.log10((c / total) * 1e5 + 1);
    const x = [0, 3, 10, 7].map((c) => hand(c, 20));
    const y = [5, 0, 1, 2].map((c) => hand(c, 8));
    const expected = [...x.map((v) => v / Math.max(...x)), ...y.map((v) => v / Math.max(...y))];
    Array.from(q.values).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    expect(Array.from(accessibilityFromPseudobulk(table, 4, 'binary').values)).toEqual([
      0, 1, 1, 1, 1, 0, 1, 1,
    ]);
    expect(() => accessibilityFromPseudobulk(table, 3, 'binary', 'pb.parquet')).toThrow(
      expect.objectContaining({ path: 'pb.parquet', field: 'region' }) as Error,
    );
  });
});

describe('motif-cluster features', () => {
  async function scanFixture(): Promise<{
    f: Awaited<ReturnType<typeof makeGetMotifFeatures>>;
    motifIds: string[];
    table: string;
  }> {
    const set = await readMotifs(join(TEST_DATA, 'motifs.meme'));
    const rng = new SeededRandom(7);
    const lengths = Array.from({ length: 60 }, () => rng.int(100, 400));
    const offsets = new Int32Array(lengths.length + 1);
    lengths.forEach((l, i) => (offsets[i + 1] = offsets[i]! + l));
    const codes = Uint8Array.from({ length: offsets[lengths.length]! }, () => rng.int(0, 4));
    // Clusters 3, 10 and 2 (numeric order 2, 3, 10); SIM.REST left out of the table.
    const table = [
      'motifs\tcluster',
      'SIM.SPI1\t3',
      'SIM.GATA1\t10',
      'SIM.CEBPB\t3',
      'SIM.AP1\t2',
      'SIM.EBF1\t10',
      'SIM.CTCF\t2',
      'SIM.HNF1A\t3',
      'SIM.RUNX1\t10',
    ].join('\n');
    const f = await makeGetMotifFeatures(
      { codes, offsets },
      { motifs: set.motifs, files: set.motifs.map(() => 'motifs.meme') },
      motifClustersFromText(table),
      { pValue: 1e-3, scaler: 0.8, threads: 1 },
    );
    return { f, motifIds: set.motifs.map((m) => m.id), table };
  }

  it.skipIf(!numpyPython)(
    'equal numpy summing the scanner’s hits per (region, cluster), ÷ (max × scaler), clipped at 1',
    async () => {
      const { f, motifIds, table } = await scanFixture();
      expect(f.clusterIds).toEqual(['2', '3', '10']);
      expect(f.hits.count).toBeGreaterThan(200);
      const dir = await mkdtemp(join(tmpdir(), 'get-motif-'));
      try {
        const hits = Array.from(
          { length: f.hits.count },
          (_, i) => `${f.hits.regions[i]}\t${motifIds[f.hits.motifs[i]!]}\t${f.hits.scores[i]}\n`,
        ).join('');
        await writeFile(join(dir, 'hits.tsv'), hits);
        await writeFile(join(dir, 'clusters.tsv'), table);
        const script = `
import numpy as np, json, sys
d = sys.argv[1]
cl = dict(l.split('\\t') for l in open(d + '/clusters.tsv').read().split('\\n')[1:])
order = sorted(set(cl.values()), key=int)
m = np.zeros((60, len(order)))
for line in open(d + '/hits.tsv'):
    r, motif, s = line.rstrip('\\n').split('\\t')
    if motif in cl: m[int(r), order.index(cl[motif])] += float(s)
m = np.clip(m / (m.max(axis=0) * 0.8), 0, 1)
print(json.dumps(m.ravel().tolist()))
`;
        const out = execFileSync(numpyPython!, ['-c', script, dir], { encoding: 'utf8' });
        const expected = JSON.parse(out) as number[];
        expect(f.matrix.values.length).toBe(expected.length);
        f.matrix.values.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
        expect(Math.max(...f.matrix.values)).toBe(1);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it('refuses a cluster table naming motifs absent from the motif file, naming the table and the motifs', async () => {
    const set = await readMotifs(join(TEST_DATA, 'motifs.meme'));
    const table = motifClustersFromText('motifs\tcluster\nSIM.SPI1\t1\nSIM.NOPE\t2\nMOUSE_X\t2\n');
    const run = (allowAbsent?: RegExp): Promise<unknown> =>
      makeGetMotifFeatures(
        { codes: new Uint8Array(50), offsets: Int32Array.from([0, 50]) },
        { motifs: set.motifs, files: set.motifs.map(() => 'motifs.meme') },
        table,
        { clustersPath: 'clusters.txt', allowAbsent, threads: 1 },
      );
    await expect(run()).rejects.toThrow(
      expect.objectContaining({
        code: 'VALUE',
        path: 'clusters.txt',
        field: 'motifs',
        found: 'SIM.NOPE, MOUSE_X',
      }) as Error,
    );
    await expect(run(/^MOUSE_/)).rejects.toThrow(
      expect.objectContaining({ found: 'SIM.NOPE' }) as Error,
    );
    await expect(run(/^(MOUSE_|SIM\.NOPE)/)).resolves.toBeDefined();
  });
});

/** A small consistent set of inputs: 2 chromosomes × 30 regions, 3 clusters, types A, B. */
function consistentSources(): GetInputSources {
  const rng = new SeededRandom(11);
  const regions = randomRegions(rng, ['chr1', 'chr2'], 30);
  const nc = 3;
  const motif: RegionMotifMatrix = {
    nRegions: regions.length,
    clusters: ['c1', 'c2', 'CTCF'],
    values: Float32Array.from({ length: regions.length * nc }, () => rng.uniform()),
    columnMax: new Float32Array(nc).fill(1),
    aggregation: 'sum',
  };
  const genes = randomGenes(rng, regions, 80, ['A', 'B']);
  return {
    regions,
    regionsPath: 'regions.parquet',
    motif,
    motifRegionNames: regions.names,
    motifPath: 'region_motif.parquet',
    atac: {
      cellTypes: ['B', 'A'],
      nRegions: regions.length,
      values: Float32Array.from({ length: 2 * regions.length }, (_, i) => (i % 7) / 6),
    },
    atacPath: 'pseudobulk.parquet',
    expression: genes,
    expressionPath: 'expression.parquet',
  };
}

describe('makeGetInputs', () => {
  it('round-trips through the three tables into GET’s window × (clusters + 1) input', () => {
    const src = consistentSources();
    const inputs = makeGetInputs(src, { windowSize: 20, stride: 10 });
    const a = getArraysFromTables(
      getWindowsToTable(inputs),
      getFeaturesToTable(inputs),
      getLabelsToTable(inputs),
    );
    expect(a.cellTypes).toEqual(['A', 'B']);
    expect(a.windowFirsts.length).toBe(4); // 0, 10 (end 30) per chromosome
    const x = getWindowInput(a, 1, 3);
    const n = src.regions.length;
    for (let k = 0; k < 20; k++) {
      const r = inputs.windows.order[30 + 10 + k]!;
      expect(Array.from(x.subarray(k * 4, k * 4 + 3))).toEqual(
        Array.from(src.motif.values.subarray(r * 3, r * 3 + 3)),
      );
      // Type B is the ATAC's first row.
      expect(x[k * 4 + 3]).toBe(src.atac!.values[r]!);
      expect(a.labels[(1 * n + 40 + k) * 2 + 1]).toBe(inputs.labels.values[(1 * n + r) * 2 + 1]);
      expect(a.tssMask[(40 + k) * 2]).toBe(inputs.labels.tssMask[r * 2]);
    }
  });

  it('refuses cell types in RNA but not ATAC, in ATAC but not RNA, and motif rows for other regions', () => {
    const src = consistentSources();
    const rnaOnly = { ...src, atac: { ...src.atac!, cellTypes: ['B', 'Z'] } };
    expect(() => makeGetInputs(rnaOnly)).toThrow(
      expect.objectContaining({
        code: 'VALUE',
        path: 'pseudobulk.parquet',
        field: 'group',
        found: 'A',
      }) as Error,
    );
    const extra = {
      ...src,
      atac: {
        cellTypes: ['A', 'B', 'C'],
        nRegions: src.regions.length,
        values: new Float32Array(3 * src.regions.length),
      },
    };
    expect(() => makeGetInputs(extra)).toThrow(
      expect.objectContaining({ path: 'pseudobulk.parquet', field: 'group', found: 'C' }) as Error,
    );
    expect(makeGetInputs(extra, { cellTypes: ['A'], windowSize: 30 }).cellTypes).toEqual(['A']);
    const shifted = { ...src, motifRegionNames: [...src.regions.names.slice(1), 'x'] };
    expect(() => makeGetInputs(shifted)).toThrow(
      expect.objectContaining({ path: 'region_motif.parquet', field: 'name' }) as Error,
    );
    expect(() => makeGetInputs(src, { windowSize: 31 })).toThrow(
      expect.objectContaining({ path: 'regions.parquet', field: 'windowSize' }) as Error,
    );
    const xchrom = makeGetInputs(
      {
        ...rnaOnly,
        predicted: {
          cellTypes: ['A'],
          nRegions: src.regions.length,
          values: new Float32Array(src.regions.length).fill(0.25),
        },
      },
      { xchromCellTypes: ['A'], cellTypes: ['A', 'B'], windowSize: 30 },
    );
    expect(xchrom.accessibilitySource).toEqual(['xchrom', 'atac']);
    expect(xchrom.accessibility[0]).toBe(0.25);
    expect(() => makeGetInputs(rnaOnly, { xchromCellTypes: ['A'], windowSize: 30 })).toThrow(
      ChromflowError,
    );
  });
});
