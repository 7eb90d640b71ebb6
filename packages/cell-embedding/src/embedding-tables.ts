import { ChromflowError, requireColumns, requireEncoding, withEncoding } from '@chromflow/core';
import { Float32, Int32, Table, Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import type { PcaResult } from './pca.js';

export const PCA_SCORES_ENCODING = 'pca-scores';
export const CELL_EMBEDDING_ENCODING = 'cell-embedding';
// 2: `n_genes` renamed `n_features` — it counts ATAC regions when ATAC is wired (XChrom's
// meaning), while `pca-scores`' `n_genes` counts RNA genes (issue 17).
export const CELL_EMBEDDING_ENCODING_VERSION = '2';

/** The per-cell count column: `n_genes` (RNA genes detected) in `pca-scores`, `n_features` in `cell-embedding`. */
function countColumnOf(encoding: string): string {
  return encoding === CELL_EMBEDDING_ENCODING ? 'n_features' : 'n_genes';
}

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

/**
 * A `pca-scores` or `cell-embedding` table's columns: barcodes, the per-cell
 * count (`n_genes` of `pca-scores`, `n_features` of `cell-embedding`) as
 * `nGenes`, and K pcs row-major.
 */
export function pcsFromTable(
  t: Table,
  encoding: string,
  path?: string,
): { barcodes: string[]; nGenes: Int32Array; k: number; values: Float64Array } {
  requireEncoding(t, encoding, path);
  const count = countColumnOf(encoding);
  if (encoding === CELL_EMBEDDING_ENCODING && !t.getChild(count) && t.getChild('n_genes')) {
    throw new ChromflowError('SCHEMA', "the cell-embedding table has 'n_genes', a retired name", {
      path,
      field: 'n_genes',
      expected: "'n_features' (encoding version 2)",
      found: `encoding version ${t.schema.metadata.get('chromflow.encoding-version') ?? '?'} with 'n_genes'`,
      hint: "did you mean 'n_features'? Re-run cell-embedding.cell-embedding (v2) to rewrite the table",
    });
  }
  requireColumns(t, ['barcode', count, 'pc1'], path);
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
    nGenes: Int32Array.from(t.getChild(count)!.toArray() as ArrayLike<number>),
    k,
    values,
  };
}

/**
 * The `cell-embedding` table (XChrom's cell input): `barcode`, `pc1`…`pcK`
 * (per-PC z-scored, float32), `n_features` (int32: the per-cell count behind
 * `b_zscore` — ATAC regions with counts as XChrom's `n_genes`, or RNA genes
 * detected; `featuresOf` says which, in the schema metadata
 * `chromflow.n-features-of`), `b_zscore` (float32).
 */
export function makeCellEmbeddingTable(
  barcodes: readonly string[],
  zscored: ArrayLike<number>,
  k: number,
  nGenes: Int32Array,
  bZscores: ArrayLike<number>,
  featuresOf: 'atac-regions' | 'rna-genes' = 'rna-genes',
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
    n_features: makeVector({ type: new Int32(), data: nGenes }),
    b_zscore: makeVector({ type: new Float32(), data: Float32Array.from(bZscores) }),
  });
  t.schema.metadata.set('chromflow.n-features-of', featuresOf);
  return withEncoding(t, CELL_EMBEDDING_ENCODING, CELL_EMBEDDING_ENCODING_VERSION);
}
