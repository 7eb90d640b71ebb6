import { defineStage } from '@chromflow/core';
import { writeH5ad } from '../h5ad.js';
import { selectHvgSeurat, selectHvgSeuratV3 } from '../hvg.js';
import { normaliseTotalLog1p } from '../normalise.js';
import { countsInputPorts, readCountsInput } from './counts-inputs.js';

export type RnaNormaliseParams = {
  target_sum: number;
  target_sum_mode: 'fixed' | 'median';
  n_hvg: number;
  hvg_flavor: 'seurat_v3' | 'seurat';
};

/** scRNA counts → normalise total + log1p, HVG flags in `var` → h5ad. */
export const rnaNormalise = defineStage<RnaNormaliseParams>({
  name: 'cell-embedding.rna-normalise',
  version: '2',
  description:
    'Reads scRNA counts (10x MTX folder, 10x HDF5 or h5ad), scales each cell to target_sum counts, applies log1p and flags highly variable genes; writes an h5ad.',
  params: {
    type: 'object',
    properties: {
      target_sum: {
        type: 'number',
        description: "Counts per cell after scaling when target_sum_mode is 'fixed'.",
        default: 10000,
        exclusiveMinimum: 0,
      },
      target_sum_mode: {
        type: 'string',
        description:
          "'fixed' uses target_sum; 'median' the median total of cells with counts (scanpy target_sum=None).",
        default: 'fixed',
        enum: ['fixed', 'median'],
      },
      n_hvg: {
        type: 'integer',
        description: 'Number of highly variable genes to flag (var/highly_variable).',
        default: 2000,
        minimum: 1,
      },
      hvg_flavor: {
        type: 'string',
        description:
          "scanpy flavour: 'seurat_v3' (on counts, loess) or 'seurat' (dispersion on log data).",
        default: 'seurat_v3',
        enum: ['seurat_v3', 'seurat'],
      },
    },
    additionalProperties: false,
  },
  inputs: {
    ...countsInputPorts,
  },
  outputs: {
    normalised: {
      kind: 'file',
      type: 'h5ad',
      extension: '.h5ad',
      description:
        'X = log1p(normalised counts) (CSR float32); obs n_counts, n_genes; var highly_variable, hvg_score.',
    },
  },
  resources: { cpu: 1, memoryGb: 4 },
  async run(ctx) {
    const ad = await readCountsInput(ctx.inputs);
    const p = ctx.params;
    const norm = normaliseTotalLog1p(ad.X, {
      targetSum: p.target_sum_mode === 'median' ? 'median' : p.target_sum,
    });
    const nTop = Math.min(p.n_hvg, ad.X.nCols);
    const hvg =
      p.hvg_flavor === 'seurat_v3' ? selectHvgSeuratV3(ad.X, nTop) : selectHvgSeurat(norm.X, nTop);
    ctx.log.info(
      `${ad.X.nRows} cells × ${ad.X.nCols} genes; ${hvg.selected.length} HVGs (${p.hvg_flavor})`,
    );
    await writeH5ad(ctx.outputs['normalised']!, {
      X: norm.X,
      obs: {
        index: ad.obs.index,
        columns: { ...ad.obs.columns, n_counts: norm.totals, n_genes: norm.nGenes },
      },
      var: {
        index: ad.var.index,
        columns: {
          ...ad.var.columns,
          // bool, so that adata[:, adata.var.highly_variable] selects the genes (uint8 indexes by position).
          highly_variable: Array.from(hvg.highlyVariable, (v) => v === 1),
          means: hvg.means,
          hvg_score: hvg.scores,
        },
      },
      obsm: {},
      uns: { target_sum: norm.targetSum, hvg_flavor: p.hvg_flavor, log1p_base: 'e' },
    });
    return {
      metrics: {
        cells: ad.X.nRows,
        genes: ad.X.nCols,
        hvgs: hvg.selected.length,
        target_sum: norm.targetSum,
      },
    };
  },
});
