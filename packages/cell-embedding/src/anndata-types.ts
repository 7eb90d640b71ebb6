import type { CsrMatrix } from '@chromflow/core';

/**
 * A categorical column as AnnData stores it: `codes[i]` indexes `categories`,
 * -1 is missing.
 */
export interface CategoricalColumn {
  categories: string[];
  codes: Int32Array;
  ordered: boolean;
}

/** One dataframe column: numbers, booleans, strings or a categorical. */
export type FrameColumn =
  Float64Array | Float32Array | Int32Array | Uint8Array | string[] | boolean[] | CategoricalColumn;

/** A dataframe as in AnnData's `obs`/`var`: a string index and named columns of equal length. */
export interface DataFrame {
  index: string[];
  columns: Record<string, FrameColumn>;
}

/** A dense row-major matrix: entry (r, c) is `values[r * nCols + c]`. */
export interface DenseMatrix {
  nRows: number;
  nCols: number;
  values: Float32Array | Float64Array;
}

/**
 * The in-memory shape of an `.h5ad` file that chromflow reads and writes:
 * `X` is cells × genes (rows = `obs`, columns = `var`), `obsm` holds
 * per-cell embeddings (rows = cells), `uns` small scalar/string metadata.
 */
export interface AnnData {
  X: CsrMatrix;
  obs: DataFrame;
  var: DataFrame;
  obsm: Record<string, DenseMatrix>;
  uns: Record<string, string | number>;
}

export function isCategorical(c: FrameColumn): c is CategoricalColumn {
  return !Array.isArray(c) && !ArrayBuffer.isView(c);
}

/** The string values of a column (categoricals decoded, numbers formatted). */
export function columnToStrings(c: FrameColumn): string[] {
  if (isCategorical(c)) return Array.from(c.codes, (k) => (k < 0 ? '' : (c.categories[k] ?? '')));
  return Array.from(c as ArrayLike<string | number | boolean>, (v) => String(v));
}
