import {
  Float32,
  Int32,
  type Table,
  makeVector,
  tableFromArrays,
  Table as ArrowTable,
} from 'apache-arrow';
import { ChromflowError } from './errors.js';
import { requireColumns, withEncoding } from './table-io.js';

/**
 * A sparse matrix in coordinate form: entry k is (rows[k], cols[k]) = values[k].
 * Rows are observations (cells), columns are features (regions, genes), as in
 * AnnData. Indices are 0-based.
 */
export interface SparseMatrix {
  nRows: number;
  nCols: number;
  rows: Int32Array;
  cols: Int32Array;
  values: Float32Array;
}

/** Compressed sparse rows: row r's entries are indices/values[indptr[r] … indptr[r+1]). */
export interface CsrMatrix {
  nRows: number;
  nCols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

export const SPARSE_ENCODING = 'sparse-coo';
export const SPARSE_ENCODING_VERSION = '1';

/**
 * COO matrix → Arrow table `row: int32, col: int32, value: float32`, shape in
 * the schema metadata (`chromflow.shape` = "nRows,nCols"). Opposite of `sparseFromTable`.
 */
export function sparseToTable(m: SparseMatrix): Table {
  const t = new ArrowTable({
    row: makeVector({ type: new Int32(), data: m.rows }),
    col: makeVector({ type: new Int32(), data: m.cols }),
    value: makeVector({ type: new Float32(), data: m.values }),
  });
  t.schema.metadata.set('chromflow.shape', `${m.nRows},${m.nCols}`);
  return withEncoding(t, SPARSE_ENCODING, SPARSE_ENCODING_VERSION);
}

/** Arrow COO table → matrix; the opposite of `sparseToTable`. `path` names the file in errors. */
export function sparseFromTable(t: Table, path?: string): SparseMatrix {
  requireColumns(t, ['row', 'col', 'value'], path);
  const shape = t.schema.metadata.get('chromflow.shape');
  const m = /^(\d+),(\d+)$/.exec(shape ?? '');
  if (!m) {
    throw new ChromflowError('SCHEMA', 'sparse table has no shape', {
      path,
      field: 'chromflow.shape',
      expected: '"nRows,nCols" in the schema metadata',
      found: shape ?? 'nothing',
    });
  }
  const rows = Int32Array.from(t.getChild('row')!.toArray() as ArrayLike<number>);
  const cols = Int32Array.from(t.getChild('col')!.toArray() as ArrayLike<number>);
  const values = Float32Array.from(t.getChild('value')!.toArray() as ArrayLike<number>);
  return { nRows: Number(m[1]), nCols: Number(m[2]), rows, cols, values };
}

/** COO → CSR (entries within a row keep their input order; duplicates are kept). */
export function csrFromSparse(m: SparseMatrix): CsrMatrix {
  const indptr = new Int32Array(m.nRows + 1);
  for (let k = 0; k < m.rows.length; k++) indptr[m.rows[k]! + 1]!++;
  for (let r = 0; r < m.nRows; r++) indptr[r + 1]! += indptr[r]!;
  const next = indptr.slice(0, m.nRows);
  const indices = new Int32Array(m.rows.length);
  const values = new Float32Array(m.rows.length);
  for (let k = 0; k < m.rows.length; k++) {
    const dst = next[m.rows[k]!]!++;
    indices[dst] = m.cols[k]!;
    values[dst] = m.values[k]!;
  }
  return { nRows: m.nRows, nCols: m.nCols, indptr, indices, values };
}

/** CSR → COO; the opposite of `csrFromSparse`. */
export function csrToSparse(m: CsrMatrix): SparseMatrix {
  const rows = new Int32Array(m.indices.length);
  for (let r = 0; r < m.nRows; r++) rows.fill(r, m.indptr[r], m.indptr[r + 1]);
  return {
    nRows: m.nRows,
    nCols: m.nCols,
    rows,
    cols: m.indices.slice(),
    values: m.values.slice(),
  };
}

/** A small table of plain columns with an encoding type; convenience over `tableFromArrays`. */
export function makeTable(
  columns: Record<string, ArrayLike<unknown> | readonly string[]>,
  encodingType: string,
  encodingVersion = '1',
): Table {
  // tableFromArrays infers Arrow types from typed arrays (Int32Array → int32 …) and strings → utf8.
  const t = tableFromArrays(columns as Parameters<typeof tableFromArrays>[0]);
  return withEncoding(t, encodingType, encodingVersion);
}
