import { DataType, type Table } from 'apache-arrow';
import { ChromflowError, type CsrMatrix, type SparseMatrix } from '@chromflow/core';
import type { Regions } from '@chromflow/genome-io';
import type {
  AnnData,
  CategoricalColumn,
  DataFrame,
  DenseMatrix,
  FrameColumn,
} from './anndata-types.js';
import { cooToSortedCsr } from './tenx-mtx.js';

/**
 * ATAC counts, cells, regions and cell embeddings as one AnnData, for
 * scanpy/muon/Signac users: `X` = cells × regions counts (CSR float32),
 * `obs` = the cells table, `var` = the regions (`chrom`, `start` 0-based,
 * `end` exclusive — BED numbers), `obsm['X_<name>']` = each embedding.
 */

/** A per-cell embedding: row r of `values` (row-major, `k` columns) belongs to `barcodes[r]`. */
export interface CellEmbedding {
  barcodes: string[];
  k: number;
  values: Float32Array;
  /** The table's column names, in order (e.g. `lsi1`…`lsiK`). */
  columns: string[];
}

/**
 * The embedding columns of a table with a `barcode` column: every floating
 * column whose name ends in a number (`lsi1`…, `pc1`…, `dim1`…), in table order.
 */
export function cellEmbeddingFromTable(t: Table, path?: string): CellEmbedding {
  const bc = t.getChild('barcode');
  const columns = t.schema.fields
    .filter((f) => DataType.isFloat(f.type) && /\d$/.test(f.name))
    .map((f) => f.name);
  if (!bc || columns.length === 0) {
    throw new ChromflowError('SCHEMA', 'not an embedding table', {
      path,
      expected: 'a barcode column and float columns named like lsi1, pc1 …',
      found: t.schema.fields.map((f) => f.name).join(', '),
    });
  }
  const n = t.numRows;
  const k = columns.length;
  const values = new Float32Array(n * k);
  columns.forEach((c, j) => {
    const col = t.getChild(c)!.toArray() as ArrayLike<number>;
    for (let r = 0; r < n; r++) values[r * k + j] = col[r]!;
  });
  return { barcodes: [...bc].map(String), k, values, columns };
}

/**
 * A `cells` table as an AnnData `obs` frame: `barcode` → index; strings →
 * categoricals (what anndata makes of string columns when it writes),
 * booleans → bool, int32 → int32, other numbers → float64 (null → NaN).
 */
export function obsFromCellsTable(t: Table, path?: string): DataFrame {
  const bc = t.getChild('barcode');
  if (!bc) {
    throw new ChromflowError('SCHEMA', 'the cells table has no barcode column', {
      path,
      field: 'barcode',
    });
  }
  const columns: Record<string, FrameColumn> = {};
  for (const f of t.schema.fields) {
    if (f.name === 'barcode') continue;
    const v = t.getChild(f.name)!;
    const ty = f.type as DataType;
    if (DataType.isUtf8(ty) || DataType.isDictionary(ty)) {
      columns[f.name] = categoricalOf([...v].map((x) => String(x ?? '')));
    } else if (DataType.isBool(ty)) {
      columns[f.name] = [...v].map((x) => x === true);
    } else if (
      DataType.isInt(ty) &&
      (ty.bitWidth < 32 || (ty.bitWidth === 32 && ty.isSigned)) &&
      v.nullCount === 0
    ) {
      columns[f.name] = Int32Array.from(v.toArray() as ArrayLike<number>);
    } else if (DataType.isInt(ty) || DataType.isFloat(ty)) {
      columns[f.name] = Float64Array.from([...v], (x) => (x === null ? NaN : Number(x)));
    }
  }
  return { index: [...bc].map(String), columns };
}

/**
 * Labels by barcode (a `cell-labels` file, e.g. `cell-embedding.cluster`'s) as
 * a categorical `obs` column over `index`; a cell without a label is missing
 * (code -1, NaN in pandas).
 */
export function categoricalFromLabels(
  index: readonly string[],
  labels: ReadonlyMap<string, string>,
): CategoricalColumn {
  const categories = [...new Set(labels.values())].sort((x, y) =>
    x.localeCompare(y, 'en', { numeric: true }),
  );
  const code = new Map(categories.map((c, i) => [c, i]));
  const codes = Int32Array.from(index, (b) => {
    const l = labels.get(b);
    return l === undefined ? -1 : code.get(l)!;
  });
  return { categories, codes, ordered: false };
}

function categoricalOf(values: string[]): FrameColumn {
  const categories = [...new Set(values)].sort();
  const code = new Map(categories.map((c, i) => [c, i]));
  return { categories, codes: Int32Array.from(values, (v) => code.get(v)!), ordered: false };
}

/**
 * Regions as an AnnData `var` frame: index = region names when they are
 * unique, else `chrom:start-end`; `chrom` categorical, `start` (0-based) and
 * `end` (exclusive) int32, then the regions' other columns.
 */
export function varFromRegions(regions: Regions): DataFrame {
  const chroms = Array.from(regions.chromIds, (id) => regions.chromNames[id]!);
  const names = regions.names;
  const unique = names.every((x) => x !== '') && new Set(names).size === names.length;
  const index = unique
    ? [...names]
    : chroms.map((c, i) => `${c}:${regions.starts[i]}-${regions.ends[i]}`);
  const columns: Record<string, FrameColumn> = {
    chrom: {
      categories: [...regions.chromNames],
      codes: Int32Array.from(regions.chromIds),
      ordered: false,
    },
    start: Int32Array.from(regions.starts),
    end: Int32Array.from(regions.ends),
  };
  for (const [k, v] of Object.entries(regions.columns)) {
    if (!(k in columns)) columns[k] = v instanceof Float64Array ? v : [...v];
  }
  return { index, columns };
}

/** What `makeAtacAnnData` was given and kept. */
export interface AtacAnnData {
  adata: AnnData;
  /** Cells of the counts left out because an embedding lacks them (`cells: 'embedded'`). */
  droppedCells: number;
  /** Per obsm key, cells of the kept ones with no row in that embedding (NaN rows; `cells: 'all'`). */
  missingRows: Record<string, number>;
}

/**
 * Joins counts (rows = `obs`, cols = `var`) and embeddings by barcode. With
 * `cells: 'embedded'` only cells present in every embedding are kept (scanpy's
 * neighbours need a full `obsm` row); with `'all'` every cell is kept and
 * missing embedding rows are NaN.
 */
export function makeAtacAnnData(
  counts: SparseMatrix,
  obs: DataFrame,
  vr: DataFrame,
  embeddings: Record<string, CellEmbedding>,
  options: { cells: 'embedded' | 'all' },
): AtacAnnData {
  if (obs.index.length !== counts.nRows || vr.index.length !== counts.nCols) {
    throw new ChromflowError('SCHEMA', 'the counts do not match the cells and regions tables', {
      expected: `${obs.index.length} cells × ${vr.index.length} regions`,
      found: `${counts.nRows} × ${counts.nCols}`,
    });
  }
  const rowsOf = Object.fromEntries(
    Object.entries(embeddings).map(([k, e]) => [k, new Map(e.barcodes.map((b, i) => [b, i]))]),
  );
  const keep: number[] = [];
  obs.index.forEach((b, r) => {
    if (options.cells === 'all' || Object.values(rowsOf).every((m) => m.has(b))) keep.push(r);
  });
  const csr = cooToSortedCsr(counts.nRows, counts.nCols, counts.rows, counts.cols, counts.values);
  const X = selectCsrRows(csr, keep);
  const obsm: Record<string, DenseMatrix> = {};
  const missingRows: Record<string, number> = {};
  for (const [key, e] of Object.entries(embeddings)) {
    const m = rowsOf[key]!;
    const values = new Float32Array(keep.length * e.k).fill(NaN);
    let missing = 0;
    keep.forEach((r, i) => {
      const src = m.get(obs.index[r]!);
      if (src === undefined) missing++;
      else values.set(e.values.subarray(src * e.k, (src + 1) * e.k), i * e.k);
    });
    obsm[key] = { nRows: keep.length, nCols: e.k, values };
    missingRows[key] = missing;
  }
  const adata: AnnData = {
    X,
    obs: selectFrameRows(obs, keep),
    var: vr,
    obsm,
    uns: {
      var_coordinates: 'start 0-based, end exclusive (BED)',
      generated_by: '@chromflow/cell-embedding makeAtacAnnData',
    },
  };
  return { adata, droppedCells: counts.nRows - keep.length, missingRows };
}

function selectCsrRows(m: CsrMatrix, rows: readonly number[]): CsrMatrix {
  const indptr = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (indptr[i + 1] = indptr[i]! + m.indptr[r + 1]! - m.indptr[r]!));
  const nnz = indptr[rows.length]!;
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  rows.forEach((r, i) => {
    indices.set(m.indices.subarray(m.indptr[r], m.indptr[r + 1]), indptr[i]);
    values.set(m.values.subarray(m.indptr[r], m.indptr[r + 1]), indptr[i]);
  });
  return { nRows: rows.length, nCols: m.nCols, indptr, indices, values };
}

function selectFrameRows(df: DataFrame, rows: readonly number[]): DataFrame {
  if (rows.length === df.index.length) return df;
  const pick = <T>(xs: ArrayLike<T>): T[] => rows.map((r) => xs[r]!);
  const columns: Record<string, FrameColumn> = {};
  for (const [k, c] of Object.entries(df.columns)) {
    if (Array.isArray(c)) columns[k] = pick(c as unknown[]) as string[] | boolean[];
    else if (ArrayBuffer.isView(c)) {
      const typed = c;
      const out = new (typed.constructor as new (n: number) => typeof typed)(rows.length);
      rows.forEach((r, i) => (out[i] = typed[r]!));
      columns[k] = out;
    } else {
      columns[k] = { ...c, codes: Int32Array.from(rows, (r) => c.codes[r]!) };
    }
  }
  return { index: pick(df.index), columns };
}
