import {
  ChromflowError,
  defineStage,
  readTable,
  requireEncoding,
  sparseFromTable,
  writeTable,
} from '@chromflow/core';
import {
  CELL_EMBEDDING_ENCODING,
  makeCellEmbeddingTable,
  pcsFromTable,
  PCA_SCORES_ENCODING,
} from '../embedding-tables.js';
import { describePairing, pairBarcodes } from '../pair-barcodes.js';
import { bZscoresFromNGenes, zscoreColumns } from '../zscore.js';

export type CellEmbeddingParams = {
  n_pcs: number;
};

/** PCA scores (+ paired ATAC counts) → XChrom's cell embedding table. */
export const cellEmbedding = defineStage<CellEmbeddingParams>({
  name: 'cell-embedding.cell-embedding',
  version: '2',
  description:
    "XChrom's cell input: the first n_pcs PCs z-scored per PC (ddof 0) and b_zscore = z-scored log10(n_features); n_features is the ATAC regions with counts per cell when ATAC counts are wired (XChrom's n_genes; cells paired by barcode), else the RNA genes detected (pca-scores' n_genes).",
  params: {
    type: 'object',
    properties: {
      n_pcs: {
        type: 'integer',
        description: 'PCs to keep (the pca table must have at least this many).',
        default: 32,
        minimum: 1,
      },
    },
    additionalProperties: false,
  },
  inputs: {
    pca: { kind: 'table', type: PCA_SCORES_ENCODING, description: 'Output of cell-embedding.pca.' },
    'atac-counts': {
      kind: 'table',
      type: 'sparse-coo',
      description:
        'ATAC cells × regions counts; n_features = non-zero regions per cell (as XChrom).',
      optional: true,
    },
    'atac-cells': {
      kind: 'table',
      type: 'cells',
      description: 'The ATAC cells (rows of atac-counts), to pair with RNA by barcode.',
      optional: true,
    },
  },
  outputs: {
    'cell-embedding': {
      kind: 'table',
      type: CELL_EMBEDDING_ENCODING,
      description:
        'barcode, pc1…pcK (z-scored), n_features (ATAC regions or RNA genes with counts; schema metadata chromflow.n-features-of), b_zscore.',
    },
  },
  resources: { cpu: 1, memoryGb: 1 },
  async run(ctx) {
    const pcaPath = ctx.inputs['pca']!;
    const scores = pcsFromTable(await readTable(pcaPath), PCA_SCORES_ENCODING, pcaPath);
    const k = ctx.params.n_pcs;
    if (scores.k < k) {
      throw new ChromflowError('PARAM', 'the pca table has fewer PCs than n_pcs', {
        path: pcaPath,
        field: 'n_pcs',
        expected: `at least ${k} pcs`,
        found: `${scores.k}`,
      });
    }
    let rows: Int32Array = Int32Array.from(scores.barcodes.keys());
    let nGenes: Int32Array = scores.nGenes;
    const countsPath = ctx.inputs['atac-counts'];
    const cellsPath = ctx.inputs['atac-cells'];
    if ((countsPath === undefined) !== (cellsPath === undefined)) {
      throw new ChromflowError('WORKFLOW', 'atac-counts and atac-cells must be wired together', {
        field: countsPath ? 'atac-cells' : 'atac-counts',
      });
    }
    if (countsPath && cellsPath) {
      const counts = sparseFromTable(await readTable(countsPath), countsPath);
      const cells = await readTable(cellsPath);
      requireEncoding(cells, 'cells', cellsPath);
      const atacBarcodes = Array.from(
        cells.getChild('barcode')!.toArray() as ArrayLike<unknown>,
        String,
      );
      const perCell = new Int32Array(counts.nRows);
      for (let q = 0; q < counts.rows.length; q++)
        if (counts.values[q] !== 0) perCell[counts.rows[q]!]!++;
      const pairing = pairBarcodes(scores.barcodes, atacBarcodes);
      ctx.log.info(describePairing(pairing));
      if (pairing.rnaRows.length === 0) {
        throw new ChromflowError('VALUE', 'no RNA barcode matches an ATAC barcode', {
          path: cellsPath,
          field: 'barcode',
          expected: `barcodes like ${scores.barcodes.slice(0, 2).join(', ')}`,
          found: atacBarcodes.slice(0, 2).join(', '),
        });
      }
      rows = pairing.rnaRows;
      nGenes = Int32Array.from(pairing.atacRows, (j) => perCell[j]!);
    }
    const n = rows.length;
    const sub = new Float64Array(n * k);
    rows.forEach((r, i) => {
      for (let j = 0; j < k; j++) sub[i * k + j] = scores.values[r * scores.k + j]!;
    });
    const z = zscoreColumns(sub, n, k);
    const barcodes = Array.from(rows, (r) => scores.barcodes[r]!);
    await writeTable(
      ctx.outputs['cell-embedding']!,
      makeCellEmbeddingTable(
        barcodes,
        z,
        k,
        nGenes,
        bZscoresFromNGenes(nGenes),
        countsPath ? 'atac-regions' : 'rna-genes',
      ),
    );
    return { metrics: { cells: n, pcs: k, dropped_rna_cells: scores.barcodes.length - n } };
  },
});
