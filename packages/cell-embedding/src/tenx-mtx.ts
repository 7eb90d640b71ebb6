import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChromflowError, type CsrMatrix, type LongRunOptions } from '@chromflow/core';
import type { AnnData } from './anndata-types.js';
import { scanLines } from './text-lines.js';

/** The three files of a 10x MTX folder, as found on disk. */
export interface TenxMtxPaths {
  matrix: string;
  barcodes: string;
  /** `features.tsv(.gz)` (v3) or `genes.tsv(.gz)` (v2). */
  features: string;
}

function firstExisting(dir: string, names: string[]): string | undefined {
  return names.map((n) => join(dir, n)).find((p) => existsSync(p));
}

/** Finds matrix/barcodes/features (v3) or genes (v2) files, plain or gzipped, in `dir`. */
export function findTenxMtxPaths(dir: string): TenxMtxPaths {
  const matrix = firstExisting(dir, ['matrix.mtx.gz', 'matrix.mtx']);
  const barcodes = firstExisting(dir, ['barcodes.tsv.gz', 'barcodes.tsv']);
  const features = firstExisting(dir, [
    'features.tsv.gz',
    'features.tsv',
    'genes.tsv.gz',
    'genes.tsv',
  ]);
  const missing = [
    matrix ? '' : 'matrix.mtx(.gz)',
    barcodes ? '' : 'barcodes.tsv(.gz)',
    features ? '' : 'features.tsv(.gz) or genes.tsv(.gz)',
  ].filter(Boolean);
  if (!matrix || !barcodes || !features) {
    throw new ChromflowError('IO', `the 10x MTX folder lacks ${missing.join(', ')}`, {
      path: dir,
      expected: 'matrix.mtx(.gz), barcodes.tsv(.gz) and features.tsv(.gz) (v3) or genes.tsv (v2)',
      found: missing.join(', ') + ' missing',
    });
  }
  return { matrix, barcodes, features };
}

/** Reads one-name-per-line files (barcodes), skipping a trailing empty line. */
async function readNames(path: string, options: LongRunOptions): Promise<string[]> {
  const names: string[] = [];
  await scanLines(path, (line) => names.push(line.split('\t')[0] ?? ''), options);
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  return names;
}

interface FeatureColumns {
  ids: string[];
  names: string[];
  types: string[];
}

async function readFeatures(path: string, options: LongRunOptions): Promise<FeatureColumns> {
  const ids: string[] = [];
  const names: string[] = [];
  const types: string[] = [];
  await scanLines(
    path,
    (line, lineNumber) => {
      if (line === '') return;
      const f = line.split('\t');
      if (f.length < 2) {
        throw new ChromflowError('PARSE', 'a features line needs at least gene id and name', {
          path,
          line: lineNumber,
          source: line,
          expected: 'id<TAB>name[<TAB>feature_type]',
          found: `${f.length} field`,
        });
      }
      ids.push(f[0]!);
      names.push(f[1]!);
      types.push(f[2] ?? 'Gene Expression');
    },
    options,
  );
  return { ids, names, types };
}

/**
 * Parses a MatrixMarket coordinate file of features × cells (10x layout) into
 * CSR cells × features. Indices in the file are 1-based; inside they are 0-based.
 */
export async function readMatrixMarketTransposed(
  path: string,
  options: LongRunOptions = {},
): Promise<CsrMatrix> {
  let header: { nFeatures: number; nCells: number; nnz: number; pattern: boolean } | undefined;
  let rows = new Int32Array(0);
  let cols = new Int32Array(0);
  let vals = new Float32Array(0);
  let k = 0;
  await scanLines(
    path,
    (line, lineNumber) => {
      if (lineNumber === 1) {
        const m = /^%%MatrixMarket\s+matrix\s+coordinate\s+(\w+)\s+general/i.exec(line);
        if (!m) {
          throw new ChromflowError('PARSE', 'not a MatrixMarket coordinate file', {
            path,
            line: 1,
            source: line,
            expected: '%%MatrixMarket matrix coordinate integer|real|pattern general',
          });
        }
        header = { nFeatures: 0, nCells: 0, nnz: -1, pattern: m[1]!.toLowerCase() === 'pattern' };
        return;
      }
      if (line.startsWith('%') || line.trim() === '' || !header) return;
      const f = line.trim().split(/\s+/);
      if (header.nnz < 0) {
        const [a, b, c] = f.map(Number);
        if (
          f.length !== 3 ||
          !Number.isInteger(a) ||
          !Number.isInteger(b) ||
          !Number.isInteger(c)
        ) {
          throw new ChromflowError('PARSE', 'the size line must hold three integers', {
            path,
            line: lineNumber,
            source: line,
            expected: 'nFeatures nCells nEntries',
          });
        }
        header.nFeatures = a!;
        header.nCells = b!;
        header.nnz = c!;
        rows = new Int32Array(c!);
        cols = new Int32Array(c!);
        vals = new Float32Array(c!);
        return;
      }
      const i = Number(f[0]) - 1;
      const j = Number(f[1]) - 1;
      const v = header.pattern ? 1 : Number(f[2]);
      if (
        !(i >= 0 && i < header.nFeatures && j >= 0 && j < header.nCells) ||
        !Number.isInteger(i) ||
        !Number.isInteger(j) ||
        Number.isNaN(v)
      ) {
        throw new ChromflowError('VALUE', 'matrix entry out of range or not a number', {
          path,
          line: lineNumber,
          source: line,
          expected: `feature in 1..${header.nFeatures}, cell in 1..${header.nCells}, a number`,
        });
      }
      if (k >= header.nnz) {
        throw new ChromflowError('VALUE', 'more entries than the size line declares', {
          path,
          line: lineNumber,
          expected: `${header.nnz} entries`,
        });
      }
      rows[k] = j;
      cols[k] = i;
      vals[k] = v;
      k++;
    },
    options,
  );
  if (!header || header.nnz < 0) {
    throw new ChromflowError('EMPTY', 'the matrix file has no MatrixMarket header and size line', {
      path,
    });
  }
  if (k !== header.nnz) {
    throw new ChromflowError('VALUE', 'fewer entries than the size line declares (truncated?)', {
      path,
      expected: `${header.nnz} entries`,
      found: `${k}`,
    });
  }
  return cooToSortedCsr(header.nCells, header.nFeatures, rows, cols, vals);
}

/** COO → CSR with column indices sorted inside each row (the AnnData/scipy canonical form). */
export function cooToSortedCsr(
  nRows: number,
  nCols: number,
  rows: Int32Array,
  cols: Int32Array,
  vals: Float32Array,
): CsrMatrix {
  const indptr = new Int32Array(nRows + 1);
  for (let k = 0; k < rows.length; k++) indptr[rows[k]! + 1]!++;
  for (let r = 0; r < nRows; r++) indptr[r + 1]! += indptr[r]!;
  const next = indptr.slice(0, nRows);
  const indices = new Int32Array(rows.length);
  const values = new Float32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const dst = next[rows[k]!]!++;
    indices[dst] = cols[k]!;
    values[dst] = vals[k]!;
  }
  sortRowIndices({ nRows, nCols, indptr, indices, values });
  return { nRows, nCols, indptr, indices, values };
}

/** Sorts each row's column indices in place (insertion sort; rows are short and mostly sorted). */
export function sortRowIndices(m: CsrMatrix): void {
  for (let r = 0; r < m.nRows; r++) {
    const a = m.indptr[r]!;
    const b = m.indptr[r + 1]!;
    for (let p = a + 1; p < b; p++) {
      const c = m.indices[p]!;
      const v = m.values[p]!;
      let q = p - 1;
      while (q >= a && m.indices[q]! > c) {
        m.indices[q + 1] = m.indices[q]!;
        m.values[q + 1] = m.values[q]!;
        q--;
      }
      m.indices[q + 1] = c;
      m.values[q + 1] = v;
    }
  }
}

/**
 * Reads a 10x `filtered_feature_bc_matrix` folder (v3 `features.tsv` or v2
 * `genes.tsv`, plain or gzipped) as AnnData-shaped counts: `X` cells × genes,
 * `obs` indexed by barcode, `var` indexed by gene id with `gene_name` and
 * `feature_types` columns.
 */
export async function readTenxMtx(dir: string, options: LongRunOptions = {}): Promise<AnnData> {
  const paths = findTenxMtxPaths(dir);
  const barcodes = await readNames(paths.barcodes, options);
  const features = await readFeatures(paths.features, options);
  const X = await readMatrixMarketTransposed(paths.matrix, options);
  if (X.nCols !== features.ids.length) {
    throw new ChromflowError('VALUE', 'the features file length does not match the matrix rows', {
      path: paths.features,
      field: 'features',
      expected: `${X.nCols} features (rows of ${paths.matrix})`,
      found: `${features.ids.length} lines`,
      hint: 'matrix.mtx and features.tsv must come from the same 10x output folder',
    });
  }
  if (X.nRows !== barcodes.length) {
    throw new ChromflowError(
      'VALUE',
      'the barcodes file length does not match the matrix columns',
      {
        path: paths.barcodes,
        field: 'barcodes',
        expected: `${X.nRows} barcodes (columns of ${paths.matrix})`,
        found: `${barcodes.length} lines`,
        hint: 'matrix.mtx and barcodes.tsv must come from the same 10x output folder',
      },
    );
  }
  requireNonEmpty(X, paths.matrix);
  return {
    X,
    obs: { index: barcodes, columns: {} },
    var: {
      index: features.ids,
      columns: { gene_name: features.names, feature_types: features.types },
    },
    obsm: {},
    uns: {},
  };
}

/** Throws EMPTY when a counts matrix has no cells, no genes or no non-zero entry. */
export function requireNonEmpty(X: CsrMatrix, path: string): void {
  if (X.nRows === 0 || X.nCols === 0 || X.indices.length === 0) {
    throw new ChromflowError('EMPTY', 'the counts matrix is empty', {
      path,
      expected: 'at least one cell, one gene and one non-zero count',
      found: `${X.nRows} cells × ${X.nCols} genes, ${X.indices.length} non-zeros`,
    });
  }
}
