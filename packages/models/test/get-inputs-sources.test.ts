import { readFileSync } from 'node:fs';
import { Table, Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { sharedDataFile, withEncoding } from '@chromflow/core';
import { readClusterNames, readMotifClusters } from '@chromflow/genome-io';
import { accessibilityFromPredictions, matchGetClusterNames } from '../src/get/index.js';

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
