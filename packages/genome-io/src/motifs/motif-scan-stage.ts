import { defineStage, readTable, writeTable } from '@chromflow/core';
import { clusterOrderFromTable, motifClusterColumns, readMotifClusters } from './clusters.js';
import type { ClusterOrder } from './clusters.js';
import { backgroundFromCodes } from './pwm.js';
import { readMotifs } from './read-motifs.js';
import { makeRegionMotifMatrix, motifHitsToTable, regionMotifToTable } from './region-motif.js';
import type { ClusterAggregation } from './region-motif.js';
import { makeMotifScanner } from './scan.js';
import { scanMotifs } from './scan-workers.js';
import { sequenceCodesFromTable } from '../tables.js';

export type MotifScanParams = {
  pValue: number;
  pseudocount: number;
  background: 'uniform' | 'sequences' | 'motif-file' | 'given';
  backgroundFrequencies: number[];
  bothStrands: boolean;
  aggregation: ClusterAggregation;
  clusterOrder: 'numeric' | 'first-seen' | 'names';
  clusterNames: string[];
  scoreRange: number;
  threads: number;
};

/** `genome-io.motif-scan`: FIMO-equivalent scan of region sequences, then a region × motif-cluster matrix for GET. */
export const motifScanStage = defineStage<MotifScanParams>({
  name: 'genome-io.motif-scan',
  version: '1',
  description:
    'Scans region sequences with a motif set (FIMO 5 scoring: pseudocounts, log2 odds, exact p-values) and aggregates hit scores per region and motif cluster into a max-normalised region × cluster matrix.',
  params: {
    type: 'object',
    properties: {
      pValue: {
        type: 'number',
        description: 'Keep hits with p-value ≤ this (FIMO --thresh; the parity test uses 1e-3).',
        default: 1e-4,
        exclusiveMinimum: 0,
        maximum: 1,
      },
      pseudocount: {
        type: 'number',
        description: 'Pseudocount in sites, spread by the background (FIMO --motif-pseudo).',
        default: 0.1,
        minimum: 0,
      },
      background: {
        type: 'string',
        description:
          "Background for log-odds and p-values: 'uniform', 'sequences' (base composition of the input), 'motif-file' (the MEME header's), or 'given' (backgroundFrequencies). Averaged with its complement when both strands are scanned.",
        default: 'uniform',
        enum: ['uniform', 'sequences', 'motif-file', 'given'],
      },
      backgroundFrequencies: {
        type: 'array',
        description:
          "A, C, G, T frequencies used when background is 'given' (FIMO's --nrdb-- is 0.275 0.225 0.225 0.275).",
        default: [0.25, 0.25, 0.25, 0.25],
        items: { type: 'number' },
        minItems: 4,
      },
      bothStrands: {
        type: 'boolean',
        description: 'Scan the reverse strand too (FIMO default; --norc turns it off).',
        default: true,
      },
      aggregation: {
        type: 'string',
        description: 'How hits of one region and cluster combine before max-normalisation.',
        default: 'sum',
        enum: ['sum', 'max', 'count'],
      },
      clusterOrder: {
        type: 'string',
        description:
          "Column order of the region-motif matrix: 'numeric' cluster ids (Vierstra v1.0 default), 'first-seen' in the cluster table, or 'names' (clusterNames, e.g. GET's list; needs a cluster table keyed by those names). Without a clusters input every motif is its own column, in file order.",
        default: 'numeric',
        enum: ['numeric', 'first-seen', 'names'],
      },
      clusterNames: {
        type: 'array',
        description: "Cluster labels in column order, for clusterOrder 'names'.",
        default: [],
        items: { type: 'string' },
      },
      scoreRange: {
        type: 'integer',
        description: 'Integer score range per motif position (FIMO PSSM_RANGE).',
        default: 1000,
        minimum: 10,
        maximum: 100000,
      },
      threads: {
        type: 'integer',
        description: 'Worker threads for the scan.',
        default: 2,
        minimum: 1,
        maximum: 64,
      },
    },
    additionalProperties: false,
  },
  inputs: {
    sequences: {
      kind: 'table',
      type: 'sequence-codes',
      description: 'Region sequences, one row per region (codes A0 C1 G2 T3 N4).',
    },
    motifs: { kind: 'file', type: 'motifs', description: 'MEME or JASPAR motif file.' },
    clusters: {
      kind: 'file',
      type: 'motif-clusters',
      description: 'Motif → cluster table (Vierstra clusters.0.70.txt layout).',
      optional: true,
    },
  },
  outputs: {
    hits: {
      kind: 'table',
      type: 'motif-hits',
      description:
        'One row per hit: region, motif, start, end (0-based half-open in the region), strand, score, p_value.',
    },
    region_motif: {
      kind: 'table',
      type: 'region-motif',
      description: 'Region × cluster matrix, column max-normalised and capped at 1.',
    },
  },
  resources: { cpu: 2, memoryGb: 2 },
  async run(ctx) {
    const p = ctx.params;
    const seqs = sequenceCodesFromTable(
      await readTable(ctx.inputs['sequences']!),
      ctx.inputs['sequences'],
    );
    const batch = { codes: seqs.codes, offsets: seqs.offsets };
    const names = seqs.names;
    const set = await readMotifs(ctx.inputs['motifs']!, { signal: ctx.signal });
    const background =
      p.background === 'sequences'
        ? backgroundFromCodes(batch.codes)
        : p.background === 'motif-file'
          ? (set.background ?? [0.25, 0.25, 0.25, 0.25])
          : p.background === 'given'
            ? p.backgroundFrequencies
            : undefined;
    if (p.background === 'motif-file' && !set.background)
      ctx.log.warn('the motif file has no background; using uniform');
    const scanner = makeMotifScanner(set.motifs, {
      pValue: p.pValue,
      pseudocount: p.pseudocount,
      background,
      bothStrands: p.bothStrands,
      range: p.scoreRange,
    });
    const hits = await scanMotifs(scanner, batch, {
      threads: p.threads,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
    const labels = set.motifs.map((m) => m.id);
    await writeTable(ctx.outputs['hits']!, motifHitsToTable(hits, labels));

    let columns: Int32Array;
    let clusters: string[];
    const clustersPath = ctx.inputs['clusters'];
    if (clustersPath) {
      const table = await readMotifClusters(clustersPath);
      const order: ClusterOrder = p.clusterOrder === 'names' ? p.clusterNames : p.clusterOrder;
      clusters = clusterOrderFromTable(table, order);
      columns = motifClusterColumns(set.motifs, table, clusters);
    } else {
      clusters = labels;
      columns = Int32Array.from(labels, (_, i) => i);
    }
    const unmatched = columns.reduce((a, c) => a + (c < 0 ? 1 : 0), 0);
    if (unmatched > 0)
      ctx.log.warn(
        `${unmatched} of ${set.motifs.length} motifs have no cluster column; their hits are left out of region_motif`,
      );
    const matrix = makeRegionMotifMatrix(hits, names.length, columns, clusters, {
      aggregation: p.aggregation,
    });
    await writeTable(ctx.outputs['region_motif']!, regionMotifToTable(matrix, names));
    return {
      metrics: {
        regions: names.length,
        bases: batch.codes.length,
        motifs: set.motifs.length,
        hits: hits.count,
        clusters: clusters.length,
        motifsWithoutCluster: unmatched,
      },
    };
  },
});
