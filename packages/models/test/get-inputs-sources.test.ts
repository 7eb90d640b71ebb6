import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Table, Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { sharedDataFile, withEncoding } from '@chromflow/core';
import { readClusterNames, readMotifClusters, readMotifs } from '@chromflow/genome-io';
import { parseFastaCodes } from '../src/data/read-xchrom-e18.js';
import {
  accessibilityFromPredictions,
  makeGetMotifFeatures,
  matchGetClusterNames,
  motifsAbsentFromFiles,
} from '../src/get/index.js';
import type { MotifSources } from '../src/get/index.js';

describe("accessibility from XChrom's predictions", () => {
  it("averages each type's cells per region by hand, then ÷ max (quantitative) or ≥ 0.5 (binary)", () => {
    // Cells c1, c2 of type N; c3 of type M (not wanted); region r2's row for c2 left out (counts as 0).
    const rows: [string, string, number][] = [
      ['c1', 'r0', 0.2],
      ['c2', 'r0', 0.4],
      ['c1', 'r1', 0.9],
      ['c2', 'r1', 0.7],
      ['c1', 'r2', 0.6],
      ['c3', 'r0', 1],
      ['c1', 'elsewhere', 1],
    ];
    const table = withEncoding(
      new Table({
        cell: vectorFromArray(
          rows.map((r) => r[0]),
          new Utf8(),
        ),
        region_name: vectorFromArray(
          rows.map((r) => r[1]),
          new Utf8(),
        ),
        probability: makeVector(Float32Array.from(rows, (r) => r[2])),
      }),
      'xchrom-predictions',
      '1',
    );
    const types = new Map([
      ['c1', 'N'],
      ['c2', 'N'],
      ['c3', 'M'],
    ]);
    const q = accessibilityFromPredictions(table, ['r0', 'r1', 'r2'], types, ['N'], 'quantitative');
    const means = [0.3, 0.8, 0.3];
    Array.from(q.values).forEach((v, i) => expect(v).toBeCloseTo(means[i]! / 0.8, 6));
    const b = accessibilityFromPredictions(table, ['r0', 'r1', 'r2'], types, ['N'], 'binary');
    expect(Array.from(b.values)).toEqual([0, 1, 0]);
    expect(() =>
      accessibilityFromPredictions(table, ['r0'], types, ['Q'], 'binary', 'pred.parquet'),
    ).toThrow(expect.objectContaining({ path: 'pred.parquet', field: 'cell' }) as Error);
  });
});

const clustersPath = sharedDataFile('motifs', 'vierstra_motif_clusters_v1.0', 'clusters.0.70.txt');
const namesPath = sharedDataFile('motifs', 'get_model_human_motif_cluster_id.txt');
const infoPath = sharedDataFile(
  'motifs',
  'vierstra_motif_clusters_v1.0',
  'cluster-info.height0.70.all.tsv',
);
if (!clustersPath || !namesPath || !infoPath)
  console.warn('skipping: shared/data/motifs (Vierstra v1.0 clusters, GET names) not found');

describe("GET's cluster names on the Vierstra v1.0 clusters", () => {
  it.skipIf(!clustersPath || !namesPath || !infoPath)(
    'name exactly the clusters whose members are that TF alone among clusters; seeds agree with Vierstra’s cluster-info',
    async () => {
      const table = await readMotifClusters(clustersPath!);
      const names = await readClusterNames(namesPath!);
      expect(names.length).toBe(282);
      const matched = matchGetClusterNames(table, names);
      // Seed motif of each cluster, from Vierstra's own cluster-info files.
      const seed = new Map(
        readFileSync(infoPath!, 'utf8')
          .split('\n')
          .slice(1)
          .filter((l) => l)
          .map((l) => l.split('\t') as [string, string]),
      );
      expect(matched.size).toBe(53);
      // Checked by hand against Vierstra's cluster-info seeds: 265 CTCFL_HUMAN, 284 AHR_HUMAN,
      // 174 COE1_HUMAN (HOCOMOCO's name for EBF1), 145 TYY1_HUMAN (YY1), 172 ZNF143_C2H2_1.
      expect(seed.get('265')).toBe('CTCFL_HUMAN.H11MO.0.A');
      expect(seed.get('174')).toBe('COE1_HUMAN.H11MO.0.A');
      for (const [tf, cluster] of [
        ['CTCF', '265'],
        ['AHR', '284'],
        ['EBF1', '174'],
        ['YY1', '145'],
        ['ZNF143', '172'],
      ] as const) {
        expect(matched.get(cluster), tf).toBe(tf);
      }
      // Family names with a number are never joined (their numbering is not public).
      expect([...matched.values()].some((n) => n.includes('/'))).toBe(false);
      // One name per cluster and one cluster per name.
      expect(new Set(matched.values()).size).toBe(matched.size);
    },
  );
});

const motifsDir = sharedDataFile('motifs');
const e18Fasta = sharedDataFile('multiome', 'xchrom_e18_mouse_brain', 'seqs_1344bp.fa');
if (!motifsDir || !e18Fasta)
  console.warn('skipping: shared/data motifs or the XChrom E18 FASTA not found');

describe('Vierstra v1.0 features on real sequence', () => {
  it.skipIf(!motifsDir || !e18Fasta || !clustersPath || !namesPath)(
    'the three source databases cover the table except its 356 HOCOMOCO mouse models; 286 columns, 53 named',
    async () => {
      const files = [
        'JASPAR2018_CORE_vertebrates_non-redundant_pfms.renamed.meme',
        'HOCOMOCOv11_core_HUMAN_mono_meme_format.meme',
        ...[1, 2, 3, 4, 5, 6].map((i) => `jolma2013/table_s3-${i}.meme`),
      ];
      const sources: MotifSources = { motifs: [], files: [] };
      for (const f of files) {
        const set = await readMotifs(join(motifsDir!, f));
        sources.motifs.push(...set.motifs);
        sources.files.push(...set.motifs.map(() => f));
      }
      const table = await readMotifClusters(clustersPath!);
      const absent = motifsAbsentFromFiles(table, sources.motifs);
      // The data README: the table maps 2,179 models, HOCOMOCO human and mouse; only human is here.
      expect(absent.length).toBe(356);
      expect(absent.every((m) => /_MOUSE\.H11MO/.test(m))).toBe(true);
      // Two peaks are enough to check the columns; scanning all 564 is the script's job.
      const fasta = parseFastaCodes(readFileSync(e18Fasta!, 'utf8'), e18Fasta);
      const batch = {
        codes: fasta.codes.subarray(0, 2 * fasta.length),
        offsets: Int32Array.from([0, fasta.length, 2 * fasta.length]),
      };
      await expect(
        makeGetMotifFeatures(batch, sources, table, { clustersPath, threads: 1 }),
      ).rejects.toThrow(expect.objectContaining({ path: clustersPath, field: 'motifs' }) as Error);
      const f = await makeGetMotifFeatures(batch, sources, table, {
        allowAbsent: /_MOUSE\.H11MO/,
        getNames: await readClusterNames(namesPath!),
        threads: 1,
      });
      expect(f.clusterIds.length).toBe(286);
      expect(f.clusterIds.slice(0, 3)).toEqual(['1', '2', '3']);
      expect(f.getNames.filter((n) => n !== '').length).toBe(53);
      expect(f.matrix.clusters[f.clusterIds.indexOf('265')]).toBe('CTCF');
      expect(f.hits.count).toBeGreaterThan(100);
    },
    120_000,
  );
});
