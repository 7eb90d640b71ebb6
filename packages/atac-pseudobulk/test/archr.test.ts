import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { sharedDataFile } from '@chromflow/core';
import { readBed } from '@chromflow/genome-io';
import {
  CellQcCounter,
  CoverageCounter,
  RegionCounter,
  makeLsi,
  makeTssRegions,
  scanFragments,
} from '../src/index.js';
import { readLines, readMtx, readTsv } from './reference-files.js';

const fragments = sharedDataFile('atac', 'archr_pbsmall_hg19', 'PBSmall.tsv.gz');
const file = (name: string): string | undefined =>
  sharedDataFile('atac', 'archr_pbsmall_hg19', name);

describe.skipIf(!fragments)('ArchR PBSmall (hg19): outputs of ArchR as oracle', () => {
  it('archr-insertions equals all 2142 × 127 entries of the ArchR PeakMatrix', async () => {
    const peaks = await readBed(file('peak_matrix_archr_peaks.bed')!);
    const cells = readLines(file('peak_matrix_archr_cells.tsv')!);
    const counter = new RegionCounter(peaks, { method: 'archr-insertions' }, cells);
    await scanFragments(fragments!, [counter]);
    const { matrix } = counter.finish();
    const ref = readMtx(file('peak_matrix_archr.mtx.gz')!); // peaks × cells
    expect([ref.nRows, ref.nCols]).toEqual([2142, 127]);
    expect([matrix.nCols, matrix.nRows]).toEqual([2142, 127]);
    const ours = new Map<string, number>();
    for (let k = 0; k < matrix.rows.length; k++) {
      ours.set(`${matrix.cols[k]},${matrix.rows[k]}`, matrix.values[k]!);
    }
    let mismatches = 0;
    for (const [key, v] of ref.entries) if (ours.get(key) !== v) mismatches++;
    for (const [key, v] of ours) if (ref.entries.get(key) !== v) mismatches++;
    expect(mismatches).toBe(0);
    expect(ours.size).toBe(22073);
  });

  it('TSS enrichment, FRiP, nucleosome ratio and fragment counts equal ArchR cellColData for all 127 cells', async () => {
    const tssBed = await readBed(sharedDataFile('annotation', 'hg19_tss_archr_geneAnnoHg19.bed')!);
    const tss = makeTssRegions(
      Array.from(tssBed.chromIds, (c) => tssBed.chromNames[c]!),
      tssBed.starts, // 1-bp records: the 0-based TSS base
    );
    const peaks = await readBed(file('peak_matrix_archr_peaks.bed')!);
    const cols = readTsv(file('cells_archr_cellColData.tsv')!);
    const cells = cols.map((r) => r['barcode']!);
    const qcCounter = new CellQcCounter({ tss, peaks }, cells);
    await scanFragments(fragments!, [qcCounter]);
    const qc = qcCounter.finish();
    expect(cols).toHaveLength(127);
    cols.forEach((r, i) => {
      expect(Math.round(qc.tssEnrichment[i]! * 1000) / 1000, r['barcode']).toBe(
        Number(r['TSSEnrichment']),
      );
      expect(qc.nFragments[i]).toBe(Number(r['nFrags']));
      expect(qc.nMonoFragments[i]).toBe(Number(r['nMonoFrags']));
      expect(qc.nDiFragments[i]).toBe(Number(r['nDiFrags']));
      expect(qc.nMultiFragments[i]).toBe(Number(r['nMultiFrags']));
      expect(qc.peakInsertions[i]).toBe(Number(r['ReadsInPeaks']));
      expect(qc.frip[i]).toBeCloseTo(Number(r['FRIP']), 12);
      expect(qc.nucleosomeSignal[i]).toBeCloseTo(Number(r['NucleosomeRatio']), 12);
    });
  });

  for (const [group, chroms] of [
    ['C1._.Rep1', ['chr5', 'chr11']],
    ['C2._.Rep2', ['chr5', 'chr11']],
  ] as const) {
    it(`group coverage of ${group} equals ArchR's insertion coverage run for run`, async () => {
      await h5wasm.ready;
      const h5 = new h5wasm.File(file(`group_coverages/${group}.insertions.coverage.h5`)!, 'r');
      const members = readTsv(file('group_coverages/group_coverage_cells.tsv')!)
        .filter((r) => r['group_file'] === `${group}.insertions.coverage.h5`)
        .map((r) => ({ barcode: r['cell']!.replace(/^PBSmall#/, ''), group }));
      const chromSizes = new Map<string, number>();
      const ref = new Map<string, { lengths: Int32Array; values: Int32Array }>();
      for (const c of chroms) {
        const read = (name: string): Int32Array => {
          const d = h5.get(`Coverage/${c}/${name}`);
          if (!(d instanceof h5wasm.Dataset)) throw new Error(`no Coverage/${c}/${name}`);
          return Int32Array.from(d.value as Int32Array);
        };
        const lengths = read('Lengths');
        ref.set(c, { lengths, values: read('Values') });
        chromSizes.set(
          c,
          lengths.reduce((a, b) => a + b, 0),
        );
      }
      h5.close();
      expect(members.length).toBeGreaterThan(20);
      const counter = new CoverageCounter(members);
      await scanFragments(fragments!, [counter]);
      const [cov] = counter.finish(chromSizes);
      expect(cov!.nCells).toBe(members.length);
      for (const c of chroms) {
        const ours = cov!.chroms.find((x) => x.chrom === c)!;
        expect(ours.lengths.length).toBe(ref.get(c)!.lengths.length);
        expect(Array.from(ours.lengths)).toEqual(Array.from(ref.get(c)!.lengths));
        expect(Array.from(ours.values)).toEqual(Array.from(ref.get(c)!.values));
      }
    });
  }

  it('LSI: component 1 tracks depth, later components separate the cell types as ArchR IterativeLSI does', async () => {
    const peaks = await readBed(file('peak_matrix_archr_peaks.bed')!);
    const cols = readTsv(file('cells_archr_cellColData.tsv')!);
    const cells = cols.map((r) => r['barcode']!);
    const counter = new RegionCounter(peaks, { method: 'archr-insertions' }, cells);
    await scanFragments(fragments!, [counter]);
    const lsi = makeLsi(counter.finish().matrix, { components: 10 });
    const types = cols.map((r) => r['CellType']!);
    // Ours: components 2–6 (component 1 is the depth axis ArchR would drop); ArchR: its 5 dims.
    const ours = cells.map((_, i) =>
      Array.from({ length: 5 }, (_, c) => lsi.embedding[i * 10 + c + 1]!),
    );
    const archrRows = readTsv(file('lsi_IterativeLSI_matSVD.tsv')!);
    const archrByCell = new Map(
      archrRows.map((r) => [
        r['cell']!,
        ['LSI1', 'LSI2', 'LSI3', 'LSI4', 'LSI5'].map((k) => Number(r[k])),
      ]),
    );
    const archr = cols.map((r) => archrByCell.get(r['cell']!)!);
    const accOurs = knnAccuracy(ours, types, 5);
    const accArchr = knnAccuracy(archr, types, 5);
    console.log(
      `LSI depth r(component 1) = ${lsi.depthCorrelations[0]!.toFixed(3)}; 5-NN CellType accuracy: ours ${accOurs.toFixed(3)}, ArchR ${accArchr.toFixed(3)}`,
    );
    expect(Math.abs(lsi.depthCorrelations[0]!)).toBeGreaterThan(0.5);
    expect(accArchr).toBeGreaterThan(0.8);
    expect(accOurs).toBeGreaterThan(accArchr - 0.1);
  });
});

/** Leave-one-out k-nearest-neighbour (Euclidean) label accuracy. */
function knnAccuracy(points: number[][], labels: string[], k: number): number {
  let right = 0;
  points.forEach((p, i) => {
    const d = points
      .map((q, j) => ({
        j,
        d: j === i ? Infinity : q.reduce((s, x, c) => s + (x - p[c]!) ** 2, 0),
      }))
      .sort((a, b) => a.d - b.d)
      .slice(0, k);
    const votes = new Map<string, number>();
    for (const { j } of d) votes.set(labels[j]!, (votes.get(labels[j]!) ?? 0) + 1);
    const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    if (best === labels[i]) right++;
  });
  return right / points.length;
}
