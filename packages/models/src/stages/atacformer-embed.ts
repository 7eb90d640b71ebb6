import { defineStage, writeTable } from '@chromflow/core';
import { initBackend } from '@chromflow/compute';
import { writeH5ad } from '@chromflow/cell-embedding';
import { loadAtacformerModel, requireCheckpointVocabulary } from '../atacformer/checkpoint.js';
import { embedAtacformer } from '../atacformer/embed.js';
import { atacformerInputs } from '../atacformer/inputs.js';
import { readAtacformerTokens } from '../atacformer/stage-inputs.js';
import { atacformerCellsToTable, atacformerRegionsToTable } from '../atacformer/tables.js';
import { cellTypeObsColumns, cellTypeProbabilities } from '../atacformer/classifier.js';

export interface AtacformerEmbedParams {
  batchSize: number;
  seed: number;
}

/** `models.atacformer-embed`: cell and region embeddings from a pretrained Atacformer. */
export const atacformerEmbed = defineStage<AtacformerEmbedParams>({
  name: 'models.atacformer-embed',
  version: '2',
  description:
    "Cell embeddings (mean of the contextual token embeddings over a cell's tokens) and region embeddings (each region's contextual embedding averaged over the cells holding it) from a pretrained Atacformer, in inference mode. The tokens must come from the checkpoint's vocabulary (checked by sha256). Cells with zero tokens are left out of the outputs (counted in the metrics). A fine-tuned checkpoint with a cell-type head adds each cell's predicted type and probabilities to the h5ad obs (predicted_cell_type, probability, prob_<type>).",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      batchSize: { type: 'integer', minimum: 1, default: 32, description: 'cells per batch' },
      seed: {
        type: 'integer',
        default: 0,
        description: "subsampling of cells longer than the model's context",
      },
    },
  },
  inputs: {
    checkpoint: {
      kind: 'directory',
      type: 'atacformer-checkpoint',
      description: 'models.atacformer-pretrain checkpoint',
    },
    tokens: { kind: 'table', type: 'token-sets', description: 'atac-pseudobulk.tokenize tokens' },
    vocabulary: {
      kind: 'file',
      type: 'token-vocabulary',
      description:
        'the vocabulary the tokens were made with (region coordinates of the region table)',
    },
  },
  outputs: {
    cells: {
      kind: 'table',
      type: 'atacformer-cells',
      description: 'barcode, n_tokens, atacformer1…atacformerD (float32)',
    },
    h5ad: {
      kind: 'file',
      type: 'h5ad',
      extension: '.h5ad',
      description:
        "cells as obs (n_tokens; with a cell-type head also predicted_cell_type, probability, prob_<type>); the cell embedding as obsm['X_atacformer'] and as X (cells × D, var atacformer1…D): scanpy/muon use sc.pp.neighbors(adata, use_rep='X_atacformer')",
    },
    regions: {
      kind: 'table',
      type: 'atacformer-regions',
      description:
        'token_id, chrom, start, end, n_cells, e1…eD (float32) for regions held by ≥ 1 cell',
    },
  },
  resources: { cpu: 1, memoryGb: 2 },
  async run(ctx) {
    const p = ctx.params;
    const backend = await initBackend({ quiet: true });
    const {
      tokensPath,
      vocabulary: v,
      sets,
    } = await readAtacformerTokens(ctx.inputs, 'models.atacformer-embed');
    const { model, manifest, head } = await loadAtacformerModel(ctx.inputs['checkpoint']!);
    try {
      requireCheckpointVocabulary(manifest, sets.vocabularyHash, tokensPath);
      const c = model.config;
      const inputs = atacformerInputs(sets, c.vocabSize, c.contextLength, p.seed, tokensPath);
      if (inputs.empty.length > 0)
        ctx.log.warn(`${inputs.empty.length} cells with zero tokens left out of the embeddings`);
      const e = embedAtacformer(model, inputs.sets, p.batchSize);
      const b = inputs.sets.barcodes;
      const nTokens = Int32Array.from(
        b,
        (_, i) => inputs.sets.offsets[i + 1]! - inputs.sets.offsets[i]!,
      );
      await writeTable(
        ctx.outputs.cells as string,
        atacformerCellsToTable(b, nTokens, e.cells, e.dim),
      );
      await writeTable(
        ctx.outputs.regions as string,
        atacformerRegionsToTable(v, e.regions, e.regionCells, e.dim),
      );
      // X holds the embedding too (cells × D; an empty var does not round-trip through h5ad readers).
      const n = b.length;
      const pred = head ? cellTypeProbabilities(head, e.cells, n) : undefined;
      await writeH5ad(ctx.outputs.h5ad as string, {
        X: {
          nRows: n,
          nCols: e.dim,
          indptr: Int32Array.from({ length: n + 1 }, (_, i) => i * e.dim),
          indices: Int32Array.from({ length: n * e.dim }, (_, i) => i % e.dim),
          values: e.cells,
        },
        obs: {
          index: [...b],
          columns: { n_tokens: nTokens, ...(head && pred ? cellTypeObsColumns(head, pred) : {}) },
        },
        var: { index: Array.from({ length: e.dim }, (_, c) => `atacformer${c + 1}`), columns: {} },
        obsm: { X_atacformer: { nRows: n, nCols: e.dim, values: e.cells } },
        uns: { atacformer_checkpoint_stage: manifest.stage },
      });
      let regions = 0;
      for (const k of e.regionCells) if (k > 0) regions++;
      return {
        backend: backend.name,
        metrics: { cells: b.length, emptyCells: inputs.empty.length, regions, dim: e.dim },
      };
    } finally {
      model.dispose();
    }
  },
});
