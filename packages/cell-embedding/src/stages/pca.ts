import { ChromflowError, defineStage, writeTable } from '@chromflow/core';
import { pcaScoresToTable, PCA_SCORES_ENCODING } from '../embedding-tables.js';
import { readH5ad } from '../h5ad.js';
import { selectColumns } from '../normalise.js';
import { computePca } from '../pca.js';
import { isCategorical } from '../anndata-types.js';
import { computeCellTotals } from '../normalise.js';

export type PcaParams = {
  n_pcs: number;
  use_hvg: boolean;
  scale: boolean;
  seed: number;
};

/** Normalised h5ad → PCA scores table (randomized SVD, implicit centring). */
export const pca = defineStage<PcaParams>({
  name: 'cell-embedding.pca',
  // 2: power iterations renormalised by LU as scikit-learn (was QR): scores move in the last digits.
  version: '2',
  description:
    'PCA of the normalised matrix (highly variable genes by default) by seeded randomized SVD with implicit centring; writes per-cell scores.',
  params: {
    type: 'object',
    properties: {
      n_pcs: {
        type: 'integer',
        description: 'Number of principal components.',
        default: 32,
        minimum: 1,
      },
      use_hvg: {
        type: 'boolean',
        description:
          'Use only genes flagged var/highly_variable (all genes when the column is absent).',
        default: true,
      },
      scale: {
        type: 'boolean',
        description: 'Scale genes to unit variance (implicitly, no clipping) before PCA.',
        default: false,
      },
      seed: { type: 'integer', description: 'Seed of the randomized SVD.', default: 0, minimum: 0 },
    },
    additionalProperties: false,
  },
  inputs: {
    normalised: {
      kind: 'file',
      type: 'h5ad',
      description: 'Output of cell-embedding.rna-normalise.',
    },
  },
  outputs: {
    pca: {
      kind: 'table',
      type: PCA_SCORES_ENCODING,
      description:
        'barcode, n_genes, pc1…pcK (U·S); explained-variance ratios in the schema metadata.',
    },
  },
  resources: { cpu: 1, memoryGb: 4 },
  async run(ctx) {
    const path = ctx.inputs['normalised']!;
    const ad = await readH5ad(path);
    let X = ad.X;
    const hv = ad.var.columns['highly_variable'];
    if (ctx.params.use_hvg && hv && !isCategorical(hv)) {
      const keep = Int32Array.from(
        Array.from(hv as ArrayLike<unknown>, (v, i) => (v === 1 || v === true ? i : -1)).filter(
          (i) => i >= 0,
        ),
      );
      if (keep.length < 2) {
        throw new ChromflowError('VALUE', 'fewer than 2 highly variable genes', {
          path,
          field: '/var/highly_variable',
        });
      }
      X = selectColumns(X, keep);
    }
    const res = computePca(X, {
      nComponents: ctx.params.n_pcs,
      seed: ctx.params.seed,
      scale: ctx.params.scale,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
    if (res.nComponents < ctx.params.n_pcs) {
      ctx.log.warn(
        `only ${res.nComponents} components possible for ${X.nRows} cells × ${X.nCols} genes`,
      );
    }
    const ng = ad.obs.columns['n_genes'];
    const nGenes =
      ng && !isCategorical(ng) && !Array.isArray(ng)
        ? Int32Array.from(ng as ArrayLike<number>)
        : computeCellTotals(ad.X).nGenes;
    await writeTable(ctx.outputs['pca']!, pcaScoresToTable(ad.obs.index, nGenes, res));
    return {
      backend: res.backend,
      metrics: {
        components: res.nComponents,
        genes: X.nCols,
        variance_ratio_pc1: res.explainedVarianceRatio[0] ?? 0,
      },
    };
  },
});
