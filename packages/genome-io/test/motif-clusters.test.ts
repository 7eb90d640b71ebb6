import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable, sharedDataFile, writeTable } from '@chromflow/core';
import { describe, expect, it } from 'vitest';
import {
  clusterOrderFromTable,
  makeRegionMotifMatrix,
  motifClusterColumns,
  motifClustersFromText,
  readClusterNames,
  readMotifClusters,
  readMotifs,
  regionMotifFromTable,
  regionMotifToTable,
} from '../src/index.js';
import type { MotifHits } from '../src/index.js';

const vierstra = sharedDataFile('motifs', 'vierstra_motif_clusters_v1.0', 'clusters.0.70.txt');
const clusterMotifs = sharedDataFile(
  'motifs',
  'vierstra_motif_clusters_v1.0',
  'cluster-motifs.height0.70.all.tsv',
);
const getNames = sharedDataFile('motifs', 'get_model_human_motif_cluster_id.txt');
const jaspar = sharedDataFile('motifs', 'JASPAR2018_CORE_vertebrates_non-redundant_pfms_meme.txt');
const hocomoco = sharedDataFile('motifs', 'HOCOMOCOv11_core_HUMAN_mono_meme_format.meme');

describe('Vierstra v1.0 clusters (counts from the shared data README)', () => {
  it.skipIf(!vierstra)('2,179 motifs in 286 clusters, numeric order 1…286', async () => {
    const table = await readMotifClusters(vierstra!);
    expect(table.motifs).toHaveLength(2179);
    const order = clusterOrderFromTable(table, 'numeric');
    expect(order).toHaveLength(286);
    expect(order.slice(0, 3)).toEqual(['1', '2', '3']);
    expect(order.at(-1)).toBe('286');
    expect(table.clusters[table.motifs.indexOf('AHR_HUMAN.H11MO.0.B')]).toBe('284');
  });
  it.skipIf(!vierstra || !clusterMotifs)(
    'the per-cluster member table (header with a motif and a cluster column) agrees',
    async () => {
      const a = await readMotifClusters(vierstra!);
      const b = await readMotifClusters(clusterMotifs!);
      const cluster = new Map(a.motifs.map((m, i) => [m, a.clusters[i]]));
      b.motifs.forEach((m, i) => expect(cluster.get(m)).toBe(b.clusters[i]));
    },
  );
  it.skipIf(!vierstra || !jaspar || !hocomoco)(
    'every JASPAR 2018 and HOCOMOCO v11 human motif finds its cluster',
    async () => {
      const table = await readMotifClusters(vierstra!);
      const order = clusterOrderFromTable(table, 'numeric');
      for (const path of [jaspar!, hocomoco!]) {
        const { motifs } = await readMotifs(path);
        const cols = motifClusterColumns(motifs, table, order);
        expect(cols.filter((c) => c < 0)).toHaveLength(0);
      }
      // MA0006.1 Ahr::Arnt is 'Ahr+Arnt_MA0006.1' in the table.
      const ahr = (await readMotifs(jaspar!)).motifs.find((m) => m.id === 'MA0006.1')!;
      expect(order[motifClusterColumns([ahr], table, order)[0]!]).toBe(
        table.clusters[table.motifs.indexOf('Ahr+Arnt_MA0006.1')],
      );
    },
  );
  it.skipIf(!vierstra || !getNames)(
    "GET's 282 names cannot order the numeric clusters: a PARAM error that says why",
    async () => {
      const names = await readClusterNames(getNames!);
      expect(names).toHaveLength(282);
      expect(names.slice(0, 3)).toEqual(['AHR', 'AIRE', 'AP1/1']);
      const table = await readMotifClusters(vierstra!);
      expect(() => clusterOrderFromTable(table, names)).toThrow(
        /none of the requested cluster names/,
      );
    },
  );
  it('named clusters work when the table holds names; bad tables are located', () => {
    const table = motifClustersFromText('m1\tAP1/1\nm2\tCTCF\nm3\tAP1/1\n');
    expect(clusterOrderFromTable(table, 'first-seen')).toEqual(['AP1/1', 'CTCF']);
    expect(clusterOrderFromTable(table, ['CTCF', 'AP1/1', 'AHR'])).toEqual([
      'CTCF',
      'AP1/1',
      'AHR',
    ]);
    expect(() => clusterOrderFromTable(table, 'numeric')).toThrow(/not a number/);
    expect(thrown(() => motifClustersFromText('motifs\tcluster\nm1\n', 't.txt'))).toMatchObject({
      code: 'PARSE',
      line: 2,
    });
    expect(thrown(() => motifClustersFromText('m1\t1\nm1\t2\n', 't.txt'))).toMatchObject({
      code: 'VALUE',
      line: 2,
    });
  });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function hits(rows: [region: number, motif: number, score: number][]): MotifHits {
  const n = rows.length;
  return {
    count: n,
    regions: Int32Array.from(rows, (r) => r[0]),
    motifs: Int32Array.from(rows, (r) => r[1]),
    starts: new Int32Array(n),
    ends: new Int32Array(n).fill(5),
    strands: new Uint8Array(n),
    scores: Float64Array.from(rows, (r) => r[2]),
    pValues: new Float64Array(n).fill(1e-5),
  };
}

describe('region × cluster matrix', () => {
  // Motifs 0 and 1 share cluster 'a' (column 0), motif 2 is cluster 'b', motif 3 has none.
  const columns = Int32Array.of(0, 0, 1, -1);
  const h = hits([
    [0, 0, 4],
    [0, 1, 6],
    [0, 2, 3],
    [1, 0, 5],
    [2, 2, 12],
    [2, 3, 100],
  ]);
  it('sums per region and cluster, divides by the column maximum (worked by hand)', () => {
    const m = makeRegionMotifMatrix(h, 3, columns, ['a', 'b']);
    // Column a sums: 10, 5, 0 → max 10; column b: 3, 0, 12 → max 12.
    expect(Array.from(m.columnMax)).toEqual([10, 12]);
    expect(Array.from(m.values)).toEqual([1, 0.25, 0.5, 0, 0, 1]);
  });
  it('max and count aggregations, and given column maxima capped at 1', () => {
    expect(
      Array.from(makeRegionMotifMatrix(h, 3, columns, ['a', 'b'], { aggregation: 'max' }).values),
    ).toEqual([1, 0.25, 5 / 6, 0, 0, 1].map(Math.fround));
    expect(
      Array.from(makeRegionMotifMatrix(h, 3, columns, ['a', 'b'], { aggregation: 'count' }).values),
    ).toEqual([1, 1, 0.5, 0, 0, 1]);
    const capped = makeRegionMotifMatrix(h, 3, columns, ['a', 'b'], { columnMax: [8, 24] });
    expect(Array.from(capped.values)).toEqual([1, 0.125, 0.625, 0, 0, 0.5]);
  });
  it('round-trips through a Parquet region-motif table with its cluster order', async () => {
    const m = makeRegionMotifMatrix(h, 3, columns, ['a', 'b']);
    const path = join(mkdtempSync(join(tmpdir(), 'region-motif-')), 'rm.parquet');
    await writeTable(path, regionMotifToTable(m, ['r0', 'r1', 'r2']));
    const table = await readTable(path);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['region', 'name', 'a', 'b']);
    expect(table.schema.metadata.get('chromflow.encoding-type')).toBe('region-motif');
    expect(regionMotifFromTable(table, path)).toEqual(m);
    expect(() => regionMotifToTable({ ...m, clusters: ['region', 'b'] })).toThrow(/reserved/);
  });
});
