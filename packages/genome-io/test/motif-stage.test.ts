import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable, sharedDataFile, writeTable } from '@chromflow/core';
import type { StageContext } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import {
  codesFromSequence,
  motifScanStage,
  peakWindowsStage,
  regionMotifFromTable,
  sequenceCodesFromTable,
  sequenceCodesToTable,
  stages,
} from '../src/index.js';
import type { MotifScanParams } from '../src/index.js';

const dir = ['reference', 'fimo_cisbp2_human_hg38_xchrom_peak'];
const cisbp = sharedDataFile(...dir, 'cisbp2.00_Homo_sapiens.evenIndexMotifs.meme');
const fasta = sharedDataFile(...dir, 'm1d1_peaks.fasta');
const fimo = sharedDataFile(...dir, 'fimo.evenIndexMotifs.tsv');
const jaspar = sharedDataFile('motifs', 'JASPAR2018_CORE_vertebrates_non-redundant_pfms_meme.txt');
const vierstra = sharedDataFile('motifs', 'vierstra_motif_clusters_v1.0', 'clusters.0.70.txt');
const genome = sharedDataFile('genome', 'hg38_chr2_1-2333275', 'chr2_1-2333275.fa.gz');
const peaks = sharedDataFile(
  'genome',
  'hg38_chr2_1-2333275',
  'pbmc3k_atac_peaks_in_chr2_1-2333275.bed',
);

function defaults(): MotifScanParams {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(motifScanStage.params.properties)) out[k] = v.default;
  return out as MotifScanParams;
}

/** The 1,344-bp peak cut into `parts` consecutive regions, written as a sequence-codes table. */
async function writeSequences(path: string, parts: number): Promise<void> {
  const seq = readFileSync(fasta!, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('>'))
    .join('')
    .trim();
  const codes = codesFromSequence(seq);
  const offsets = Int32Array.from({ length: parts + 1 }, (_, i) =>
    Math.round((i * codes.length) / parts),
  );
  await writeTable(
    path,
    sequenceCodesToTable({
      names: Array.from({ length: parts }, (_, i) => `peak${i}`),
      chromNames: ['chr14'],
      chromIds: new Int32Array(parts),
      starts: Int32Array.from(offsets.subarray(0, parts), (o) => 73167855 + o),
      ends: Int32Array.from(offsets.subarray(1), (o) => 73167855 + o),
      length: parts,
      codes,
      offsets,
    }),
  );
}

function context(
  work: string,
  inputs: Record<string, string | undefined>,
  params: Partial<MotifScanParams>,
): StageContext<MotifScanParams> {
  return {
    params: { ...defaults(), ...params },
    inputs,
    outputs: { hits: join(work, 'hits.parquet'), region_motif: join(work, 'region_motif.parquet') },
    tempDir: work,
    log: { info: () => {}, warn: () => {} },
    onProgress: () => {},
    signal: new AbortController().signal,
  };
}

describe('genome-io.motif-scan stage', () => {
  it('is registered and declares its ports', () => {
    expect(stages.map((s) => s.name)).toContain('genome-io.motif-scan');
    expect(Object.keys(motifScanStage.inputs)).toEqual(['sequences', 'motifs', 'clusters']);
    expect(motifScanStage.outputs['region_motif']).toMatchObject({
      kind: 'table',
      type: 'region-motif',
    });
  });

  it.skipIf(!cisbp || !fasta || !fimo)(
    'with FIMO settings, its hits table holds the FIMO 5.4.1 hits',
    async () => {
      const work = mkdtempSync(join(tmpdir(), 'motif-stage-'));
      await writeSequences(join(work, 'seqs.parquet'), 1);
      const info = await motifScanStage.run(
        context(
          work,
          { sequences: join(work, 'seqs.parquet'), motifs: cisbp },
          {
            pValue: 1e-3,
            background: 'given',
            backgroundFrequencies: [0.275, 0.225, 0.225, 0.275],
            threads: 1,
          },
        ),
      );
      const hits = await readTable(join(work, 'hits.parquet'));
      expect(hits.schema.metadata.get('chromflow.encoding-type')).toBe('motif-hits');
      expect(hits.schema.fields.map((f) => f.name)).toEqual([
        'region',
        'motif',
        'start',
        'end',
        'strand',
        'score',
        'p_value',
      ]);
      const ours = new Set(
        hits
          .toArray()
          .map(
            (r: { motif: string; start: number; end: number; strand: string }) =>
              `${r.motif} ${r.start + 1} ${r.end} ${r.strand}`,
          ),
      );
      const ref = readFileSync(fimo!, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#') && !l.startsWith('motif_id'))
        .map((l) => l.split('\t'))
        .map(([id, , , start, stop, strand]) => `${id} ${start} ${stop} ${strand}`);
      expect(ref.filter((k) => ours.has(k)).length).toBeGreaterThanOrEqual(2250);
      expect(info).toMatchObject({ metrics: { regions: 1, motifs: 533, hits: hits.numRows } });
      // Without a cluster table every motif is a column; one region → every column with a hit is 1.
      const rm = regionMotifFromTable(await readTable(join(work, 'region_motif.parquet')));
      expect(rm.clusters).toHaveLength(533);
      expect(new Set(rm.values)).toEqual(new Set([0, 1]));
    },
  );

  it.skipIf(!jaspar || !vierstra || !fasta)(
    'with JASPAR and the Vierstra clusters, region_motif has 286 numeric columns equal to the summed hit scores / column max',
    async () => {
      const work = mkdtempSync(join(tmpdir(), 'motif-stage-'));
      await writeSequences(join(work, 'seqs.parquet'), 4);
      await motifScanStage.run(
        context(
          work,
          { sequences: join(work, 'seqs.parquet'), motifs: jaspar, clusters: vierstra },
          { pValue: 1e-3, threads: 2 },
        ),
      );
      const table = await readTable(join(work, 'region_motif.parquet'));
      expect(table.schema.metadata.get('chromflow.encoding-type')).toBe('region-motif');
      const rm = regionMotifFromTable(table);
      expect(rm.nRegions).toBe(4);
      expect(rm.clusters).toEqual(Array.from({ length: 286 }, (_, i) => String(i + 1)));
      // Recompute from the hits table and the cluster file directly (negative sums count as 0).
      const clusterOf = new Map(
        readFileSync(vierstra!, 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split('\t'))
          .map(([m, c]) => [/_(MA\d+\.\d+)$/.exec(m!)?.[1] ?? m!, Number(c)]),
      );
      const sums = new Float64Array(4 * 286);
      for (const r of (await readTable(join(work, 'hits.parquet'))).toArray() as {
        region: number;
        motif: string;
        score: number;
      }[]) {
        sums[r.region * 286 + clusterOf.get(r.motif)! - 1]! += r.score;
      }
      for (let c = 0; c < 286; c++) {
        let max = 0;
        for (let r = 0; r < 4; r++) max = Math.max(max, sums[r * 286 + c]!);
        for (let r = 0; r < 4; r++)
          expect(rm.values[r * 286 + c]!).toBeCloseTo(
            max > 0 ? Math.max(0, sums[r * 286 + c]!) / max : 0,
            5,
          );
      }
    },
  );

  it.skipIf(!genome || !peaks || !jaspar || !vierstra)(
    'wired after genome-io.peak-windows: 71 hg38 PBMC peaks → 71 region-motif rows',
    async () => {
      const work = mkdtempSync(join(tmpdir(), 'motif-stage-'));
      const seqPath = join(work, 'sequences.parquet');
      await peakWindowsStage.run({
        params: { width: 1344, edge: 'pad', softMasked: 'upper' },
        inputs: { genome, peaks },
        outputs: { regions: join(work, 'regions.parquet'), sequences: seqPath },
        tempDir: work,
        log: { info: () => {}, warn: () => {} },
        onProgress: () => {},
        signal: new AbortController().signal,
      });
      await motifScanStage.run(
        context(work, { sequences: seqPath, motifs: jaspar, clusters: vierstra }, {}),
      );
      const seqs = sequenceCodesFromTable(await readTable(seqPath));
      const rm = regionMotifFromTable(await readTable(join(work, 'region_motif.parquet')));
      expect(rm.nRegions).toBe(71);
      expect(
        (await readTable(join(work, 'region_motif.parquet'))).getChild('name')!.toArray(),
      ).toEqual(seqs.names);
      // Every hit lies inside its 1,344-bp window and has p ≤ the default 1e-4.
      for (const r of (await readTable(join(work, 'hits.parquet'))).toArray() as {
        region: number;
        start: number;
        end: number;
        p_value: number;
      }[]) {
        expect(r.start >= 0 && r.end <= 1344 && r.region < 71 && r.p_value <= 1e-4).toBe(true);
      }
    },
  );
});
