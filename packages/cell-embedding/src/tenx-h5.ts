import { ChromflowError, type CsrMatrix } from '@chromflow/core';
import type { AnnData } from './anndata-types.js';
import {
  float32sOf,
  int32sOf,
  isGroup,
  numbersOf,
  openHdf5,
  requireDataset,
  stringsOf,
} from './hdf5.js';
import { requireNonEmpty, sortRowIndices } from './tenx-mtx.js';

/**
 * Reads a 10x Genomics HDF5 matrix (`filtered_feature_bc_matrix.h5`): v3
 * (`/matrix` with `features/{id,name,feature_type}`) or v2 (`/<genome>` with
 * `genes`, `gene_names`). The file stores features × cells as CSC, which is
 * cells × features as CSR; `X` is returned that way, with `obs` indexed by
 * barcode and `var` by gene id (columns `gene_name`, `feature_types`), the same
 * layout `readTenxMtx` gives.
 */
export async function readTenxH5(path: string): Promise<AnnData> {
  const f = await openHdf5(path);
  try {
    const keys = f.keys();
    const groupName = keys.includes('matrix') ? 'matrix' : keys.find((k) => isGroup(f.get(k)));
    const g = groupName === undefined ? null : f.get(groupName);
    if (!isGroup(g)) {
      throw new ChromflowError('SCHEMA', 'the file is not a 10x HDF5 matrix', {
        path,
        field: '/matrix',
        expected: 'a /matrix group (Cell Ranger ≥3) or /<genome> group (Cell Ranger 2)',
        found: `members ${keys.join(', ') || 'none'}`,
      });
    }
    const at = (n: string): string => `${g.path}/${n}`;
    const shape = numbersOf(
      requireDataset(g, 'shape', path, 'matrix shape').value,
      path,
      at('shape'),
    );
    const nFeatures = shape[0]!;
    const nCells = shape[1]!;
    const indptr = int32sOf(
      requireDataset(g, 'indptr', path, 'CSC indptr').value,
      path,
      at('indptr'),
    );
    const indices = int32sOf(
      requireDataset(g, 'indices', path, 'CSC indices').value,
      path,
      at('indices'),
    );
    const values = float32sOf(requireDataset(g, 'data', path, 'CSC data').value, path, at('data'));
    const barcodes = stringsOf(
      requireDataset(g, 'barcodes', path, 'barcodes').value,
      path,
      at('barcodes'),
    );
    const v3 = g.keys().includes('features');
    const ids = stringsOf(
      requireDataset(g, v3 ? 'features/id' : 'genes', path, 'feature ids').value,
      path,
      at(v3 ? 'features/id' : 'genes'),
    );
    const names = stringsOf(
      requireDataset(g, v3 ? 'features/name' : 'gene_names', path, 'feature names').value,
      path,
      at(v3 ? 'features/name' : 'gene_names'),
    );
    const types =
      v3 && g.keys().includes('features')
        ? stringsOf(
            requireDataset(g, 'features/feature_type', path, 'feature types').value,
            path,
            at('features/feature_type'),
          )
        : ids.map(() => 'Gene Expression');
    if (indptr.length !== nCells + 1 || barcodes.length !== nCells) {
      throw new ChromflowError('VALUE', 'the barcodes or indptr length does not match the shape', {
        path,
        field: at('barcodes'),
        expected: `${nCells} barcodes and ${nCells + 1} indptr entries (shape ${nFeatures}×${nCells})`,
        found: `${barcodes.length} barcodes, ${indptr.length} indptr entries`,
      });
    }
    if (ids.length !== nFeatures || names.length !== nFeatures) {
      throw new ChromflowError('VALUE', 'the features length does not match the matrix shape', {
        path,
        field: at(v3 ? 'features/id' : 'genes'),
        expected: `${nFeatures} features`,
        found: `${ids.length}`,
      });
    }
    const X: CsrMatrix = { nRows: nCells, nCols: nFeatures, indptr, indices, values };
    sortRowIndices(X);
    requireNonEmpty(X, path);
    return {
      X,
      obs: { index: barcodes, columns: {} },
      var: { index: ids, columns: { gene_name: names, feature_types: types } },
      obsm: {},
      uns: {},
    };
  } finally {
    f.close();
  }
}
