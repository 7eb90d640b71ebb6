import { ChromflowError, requireColumns, requireEncoding, withEncoding } from '@chromflow/core';
import { Float32, Int32, Table, Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import type { PcaResult } from './pca.js';

export const PCA_SCORES_ENCODING = 'pca-scores';
export const CELL_EMBEDDING_ENCODING = 'cell-embedding';
export const CELL_EMBEDDING_ENCODING_VERSION = '1';

function pcColumns(
  values: ArrayLike<number>,
  nRows: number,
  k: number,
): Record<string, ReturnType<typeof makeVector>> {
  const cols: Record<string, ReturnType<typeof makeVector>> = {};
  for (let j = 0; j < k; j++) {
    const col = new Float32Array(nRows);
    for (let r = 0; r < nRows; r++) col[r] = values[r * k + j]!;
    cols[`pc${j + 1}`] = makeVector({ type: new Float32(), data: col });
  }
  return cols;
}

/**
 * PCA scores as a `pca-scores` table: `barcode`, `n_genes` (int32), `pc1`…`pcK`
 * (float32, unscaled U·S); the explained-variance ratios are kept as JSON in
 * the schema metadata `chromflow.explained-variance-ratio`.
 */
export function pcaScoresToTable(
  barcodes: readonly string[],
  nGenes: Int32Array,
  pca: PcaResult,
): Table {
  const t = new Table({
    barcode: vectorFromArray([...barcodes], new Utf8()),
    n_genes: makeVector({ type: new Int32(), data: nGenes }),
    ...pcColumns(pca.scores, barcodes.length, pca.nComponents),
  });
  t.schema.metadata.set(
    'chromflow.explained-variance-ratio',
    JSON.stringify(Array.from(pca.explainedVarianceRatio)),
  );
  return withEncoding(t, PCA_SCORES_ENCODING, '1');
}

/** A `pca-scores` or `cell-embedding` table's columns: barcodes, n_genes, and K pcs row-major. */
export function pcsFromTable(
  t: Table,
  encoding: string,
  path?: string,
): { barcodes: string[]; nGenes: Int32Array; k: number; values: Float64Array } {
  requireEncoding(t, encoding, path);
  requireColumns(t, ['barcode', 'n_genes', 'pc1'], path);
  let k = 0;
  while (t.getChild(`pc${k + 1}`)) k++;
  const n = t.numRows;
  const values = new Float64Array(n * k);
  for (let j = 0; j < k; j++) {
    const col = t.getChild(`pc${j + 1}`)!.toArray() as ArrayLike<number>;
    for (let r = 0; r < n; r++) values[r * k + j] = col[r]!;
  }
  return {
    barcodes: Array.from(t.getChild('barcode')!.toArray() as ArrayLike<unknown>, String),
    nGenes: Int32Array.from(t.getChild('n_genes')!.toArray() as ArrayLike<number>),
    k,
    values,
  };
}

/**
 * The `cell-embedding` table (XChrom's cell input): `barcode`, `pc1`…`pcK`
 * (per-PC z-scored, float32), `n_genes` (int32), `b_zscore` (float32).
 */
export function makeCellEmbeddingTable(
  barcodes: readonly string[],
  zscored: ArrayLike<number>,
  k: number,
  nGenes: Int32Array,
  bZscores: ArrayLike<number>,
): Table {
  const n = barcodes.length;
  if (nGenes.length !== n || bZscores.length !== n || zscored.length !== n * k) {
    throw new ChromflowError('VALUE', 'cell-embedding columns have different lengths', {
      expected: `${n} cells × ${k} pcs`,
    });
  }
  const t = new Table({
    barcode: vectorFromArray([...barcodes], new Utf8()),
    ...pcColumns(zscored, n, k),
    n_genes: makeVector({ type: new Int32(), data: nGenes }),
    b_zscore: makeVector({ type: new Float32(), data: Float32Array.from(bZscores) }),
  });
  return withEncoding(t, CELL_EMBEDDING_ENCODING, CELL_EMBEDDING_ENCODING_VERSION);
}
