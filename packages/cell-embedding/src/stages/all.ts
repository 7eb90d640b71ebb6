import type { Stage } from '@chromflow/core';
import { cellEmbedding } from './cell-embedding.js';
import { cluster } from './cluster.js';
import { exportAtacH5ad } from './export-atac-h5ad.js';
import { pca } from './pca.js';
import { pseudobulkExpression } from './pseudobulk-expression.js';
import { rnaNormalise } from './rna-normalise.js';

/** Every stage of @chromflow/cell-embedding, as the orchestrator registers them. */
export const stages: Stage[] = [
  rnaNormalise,
  pca,
  cellEmbedding,
  pseudobulkExpression,
  cluster,
  exportAtacH5ad,
];
