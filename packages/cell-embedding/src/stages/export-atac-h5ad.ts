import { defineStage, readTable, requireEncoding, sparseFromTable } from '@chromflow/core';
import { regionsFromTable } from '@chromflow/genome-io';
import {
  type CellEmbedding,
  categoricalFromLabels,
  cellEmbeddingFromTable,
  makeAtacAnnData,
  obsFromCellsTable,
  varFromRegions,
} from '../atac-anndata.js';
import { writeH5ad } from '../h5ad.js';
import { readCellLabels } from '../pseudobulk-expression.js';

export type ExportAtacH5adParams = {
  cells: 'embedded' | 'all';
  labelColumn: string;
};

/** Embedding input port → obsm key (scanpy's `X_<method>` naming). */
const EMBEDDING_PORTS = { lsi: 'X_lsi', pca: 'X_pca' } as const;

/** ATAC counts + cells + regions + embeddings → one h5ad for scanpy/muon/Signac. */
export const exportAtacH5ad = defineStage<ExportAtacH5adParams>({
  name: 'cell-embedding.export-atac-h5ad',
  version: '1',
  description:
    "Writes ATAC counts (CSR X, cells × regions), the cells table as obs, the regions as var (chrom, start 0-based, end exclusive) and the wired embeddings as obsm['X_lsi'], obsm['X_pca'] in one h5ad (AnnData on-disk spec; opens with anndata/scanpy/muon).",
  params: {
    type: 'object',
    properties: {
      cells: {
        type: 'string',
        description:
          "'embedded' keeps only cells that every wired embedding has (full obsm rows, as scanpy's neighbours need); 'all' keeps every counted cell with NaN rows where an embedding lacks it.",
        default: 'embedded',
        enum: ['embedded', 'all'],
      },
      labelColumn: {
        type: 'string',
        description:
          'Column of the `labels` file to add to obs (under its own name, categorical); a missing column falls back to the second.',
        default: 'cluster',
      },
    },
    additionalProperties: false,
  },
  inputs: {
    counts: { kind: 'table', type: 'sparse-coo', description: 'cells × regions counts.' },
    cells: { kind: 'table', type: 'cells', description: 'Rows of `counts` (→ obs).' },
    regions: { kind: 'table', type: 'regions', description: 'Columns of `counts` (→ var).' },
    lsi: {
      kind: 'table',
      type: 'lsi',
      description: "atac-pseudobulk.lsi output (→ obsm['X_lsi']).",
      optional: true,
    },
    pca: {
      kind: 'table',
      type: 'pca-scores',
      description: "cell-embedding.pca output, joined by barcode (→ obsm['X_pca']).",
      optional: true,
    },
    labels: {
      kind: 'file',
      type: 'cell-labels',
      description:
        'barcode → label TSV (e.g. cell-embedding.cluster) added to obs as labelColumn; unlabelled cells NaN.',
      optional: true,
    },
  },
  outputs: {
    h5ad: {
      kind: 'file',
      type: 'h5ad',
      extension: '.h5ad',
      description:
        'X counts (CSR float32); obs = cells table; var chrom/start/end; obsm X_lsi, X_pca.',
    },
  },
  resources: { cpu: 1, memoryGb: 4 },
  async run(ctx) {
    const countsPath = ctx.inputs['counts']!;
    const cellsPath = ctx.inputs['cells']!;
    const regionsPath = ctx.inputs['regions']!;
    const countsTable = await readTable(countsPath);
    requireEncoding(countsTable, 'sparse-coo', countsPath);
    const cellsTable = await readTable(cellsPath);
    requireEncoding(cellsTable, 'cells', cellsPath);
    const embeddings: Record<string, CellEmbedding> = {};
    for (const [port, key] of Object.entries(EMBEDDING_PORTS)) {
      const p = ctx.inputs[port];
      if (!p) continue;
      const t = await readTable(p);
      requireEncoding(t, port === 'lsi' ? 'lsi' : 'pca-scores', p);
      embeddings[key] = cellEmbeddingFromTable(t, p);
    }
    const obs = obsFromCellsTable(cellsTable, cellsPath);
    const labelsPath = ctx.inputs['labels'];
    if (labelsPath) {
      const col = ctx.params.labelColumn;
      const labels = await readCellLabels(labelsPath, col);
      const column = categoricalFromLabels(obs.index, labels);
      const unlabelled = column.codes.filter((c) => c < 0).length;
      if (unlabelled > 0) ctx.log.warn(`${unlabelled} cells have no ${col} in ${labelsPath} (NaN)`);
      obs.columns[col] = column;
    }
    const { adata, droppedCells, missingRows } = makeAtacAnnData(
      sparseFromTable(countsTable, countsPath),
      obs,
      varFromRegions(regionsFromTable(await readTable(regionsPath), regionsPath)),
      embeddings,
      { cells: ctx.params.cells },
    );
    if (droppedCells > 0) {
      ctx.log.warn(`${droppedCells} counted cells have no row in an embedding and were left out`);
    }
    for (const [k, n] of Object.entries(missingRows)) {
      if (n > 0) ctx.log.warn(`${n} cells have no ${k} row (NaN)`);
    }
    await writeH5ad(ctx.outputs['h5ad']!, adata);
    ctx.log.info(
      `${adata.X.nRows} cells × ${adata.X.nCols} regions; obsm ${Object.keys(adata.obsm).join(', ') || 'none'}`,
    );
    return {
      metrics: {
        cells: adata.X.nRows,
        regions: adata.X.nCols,
        nnz: adata.X.indices.length,
        dropped_cells: droppedCells,
      },
    };
  },
});
