import {
  ChromflowError,
  defineStage,
  readTable,
  requireEncoding,
  writeFileAtomic,
} from '@chromflow/core';
import { clusterCells, clusterNames } from '../cluster-cells.js';
import { embeddingFromTable } from '../embedding-matrix.js';
import { PCA_SCORES_ENCODING } from '../embedding-tables.js';

export type ClusterParams = {
  k: number;
  resolution: number;
  seed: number;
  components: number;
  maxDepthCorrelation: number;
};

/** LSI or PCA embedding → kNN → SNN graph → Louvain clusters, written as a cell-labels file. */
export const cluster = defineStage<ClusterParams>({
  name: 'cell-embedding.cluster',
  version: '1',
  description:
    'Graph clustering of cells (Seurat FindNeighbors + FindClusters): exact kNN on an LSI or PCA embedding, shared-nearest-neighbour Jaccard graph (pruned < 1/15), Louvain at a resolution (graphology), seeded.',
  params: {
    type: 'object',
    properties: {
      k: {
        type: 'integer',
        description: 'Nearest neighbours per cell (Seurat k.param).',
        default: 20,
        minimum: 1,
        maximum: 500,
      },
      resolution: {
        type: 'number',
        description: 'Louvain resolution: higher gives more, smaller clusters.',
        default: 1,
        exclusiveMinimum: 0,
      },
      seed: {
        type: 'integer',
        description: 'Seed of Louvain’s node order.',
        default: 0,
        minimum: 0,
      },
      components: {
        type: 'integer',
        description: 'Use only the first this many components (0 = all).',
        default: 0,
        minimum: 0,
      },
      maxDepthCorrelation: {
        type: 'number',
        description:
          'LSI components whose |Pearson r| with log10 depth exceeds this are left out, as ArchR (1 = keep all).',
        default: 0.75,
        minimum: 0,
        maximum: 1,
      },
    },
    additionalProperties: false,
  },
  inputs: {
    lsi: {
      kind: 'table',
      type: 'lsi',
      description: 'ATAC LSI (atac-pseudobulk.lsi); wire this or `pca`.',
      optional: true,
    },
    pca: {
      kind: 'table',
      type: PCA_SCORES_ENCODING,
      description: 'RNA PCA scores (cell-embedding.pca); wire this or `lsi`.',
      optional: true,
    },
  },
  outputs: {
    labels: {
      kind: 'file',
      type: 'cell-labels',
      extension: '.tsv',
      description:
        'TSV `barcode<TAB>cluster` (C1 = the largest cluster), one line per embedded cell; feeds pseudobulk `labels` or a counting stage’s `cells`.',
    },
  },
  resources: { cpu: 1, memoryGb: 1 },
  async run(ctx) {
    const lsiPath = ctx.inputs['lsi'];
    const pcaPath = ctx.inputs['pca'];
    if ((lsiPath === undefined) === (pcaPath === undefined)) {
      throw new ChromflowError('WORKFLOW', 'wire exactly one of the inputs lsi and pca', {
        field: 'inputs',
        expected: 'lsi or pca',
        found: lsiPath ? 'both' : 'neither',
      });
    }
    const path = (lsiPath ?? pcaPath)!;
    const table = await readTable(path);
    requireEncoding(table, lsiPath ? 'lsi' : PCA_SCORES_ENCODING, path);
    const p = ctx.params;
    const emb = embeddingFromTable(table, lsiPath ? 'lsi' : 'pc', {
      path,
      components: p.components,
      maxDepthCorrelation: p.maxDepthCorrelation,
    });
    const n = emb.barcodes.length;
    if (emb.dropped.length > 0) ctx.log.info(`left out ${emb.dropped.join(', ')}`);
    const c = clusterCells(emb.values, n, emb.d, {
      k: p.k,
      resolution: p.resolution,
      seed: p.seed,
    });
    const names = clusterNames(c.clusters);
    const lines = emb.barcodes.map((b, i) => `${b}\t${names[i]}\n`);
    await writeFileAtomic(ctx.outputs['labels']!, `barcode\tcluster\n${lines.join('')}`);
    const sizes = new Int32Array(c.nClusters);
    for (const x of c.clusters) sizes[x]!++;
    ctx.log.info(
      `${n} cells on ${emb.d} components (${emb.columns[0]}…${emb.columns[emb.d - 1]}) → ${c.nClusters} clusters (sizes ${Array.from(sizes).join(', ')}), modularity ${c.modularity.toFixed(3)}`,
    );
    if (n > 1 && c.nClusters === n)
      ctx.log.warn(`every cell is its own cluster (${n}): lower the resolution or raise k`);
    if (n > 1 && c.nClusters === 1)
      ctx.log.warn('all cells fall in one cluster: raise the resolution or lower k');
    return {
      metrics: {
        cells: n,
        clusters: c.nClusters,
        modularity: c.modularity,
        components: emb.d,
        edges: c.nEdges,
      },
    };
  },
});
