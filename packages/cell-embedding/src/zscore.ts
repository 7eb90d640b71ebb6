/**
 * z-scores as XChrom computes them (`scipy.stats.zscore(x, axis=0)`):
 * (x − mean) / std with the population standard deviation (ddof = 0).
 * A column with zero variance becomes all zeros (scipy would give NaN).
 */
export function zscoreColumns(
  values: ArrayLike<number>,
  nRows: number,
  nCols: number,
): Float64Array {
  const out = new Float64Array(nRows * nCols);
  for (let c = 0; c < nCols; c++) {
    let s = 0;
    for (let r = 0; r < nRows; r++) s += values[r * nCols + c]!;
    const m = s / nRows;
    let ss = 0;
    for (let r = 0; r < nRows; r++) {
      const d = values[r * nCols + c]! - m;
      ss += d * d;
    }
    const sd = Math.sqrt(ss / nRows);
    for (let r = 0; r < nRows; r++) {
      out[r * nCols + c] = sd > 0 ? (values[r * nCols + c]! - m) / sd : 0;
    }
  }
  return out;
}

/** Mean and population standard deviation (ddof = 0) of log10(nGenes). */
export function log10DepthStats(nGenes: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < nGenes.length; i++) s += Math.log10(nGenes[i]!);
  const mean = s / nGenes.length;
  let ss = 0;
  for (let i = 0; i < nGenes.length; i++) ss += (Math.log10(nGenes[i]!) - mean) ** 2;
  return { mean, std: Math.sqrt(ss / nGenes.length) };
}

/**
 * XChrom's per-cell depth covariate (xchrom/pp/generate_input_data.py):
 * `L = log10(n_genes)`, `b_zscore = (L − mean(L)) / std(L)`, std with ddof = 0
 * (`np.std`). `n_genes` is the number of non-zero features of the cell in the
 * ATAC matrix (scanpy `filter_cells`), and the mean and std are taken over
 * every cell of the dataset before XChrom's train/test split — pass them as
 * `reference` to reproduce a subset's values (e.g. the 91 training cells of
 * the shared E18 brain data, whose L has mean 3.80756, std 0.44298 over all cells).
 */
export function bZscoresFromNGenes(
  nGenes: ArrayLike<number>,
  reference: { mean: number; std: number } = log10DepthStats(nGenes),
): Float64Array {
  const out = new Float64Array(nGenes.length);
  for (let i = 0; i < nGenes.length; i++) {
    out[i] = reference.std > 0 ? (Math.log10(nGenes[i]!) - reference.mean) / reference.std : 0;
  }
  return out;
}
