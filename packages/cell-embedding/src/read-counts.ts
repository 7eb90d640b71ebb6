import { ChromflowError } from '@chromflow/core';
import type { AnnData } from './anndata-types.js';
import { readH5ad } from './h5ad.js';
import { readTenxH5 } from './tenx-h5.js';
import { readTenxMtx } from './tenx-mtx.js';

/** Where scRNA counts come from: exactly one of the three. */
export interface CountsSource {
  /** A 10x MTX folder. */
  mtxDir?: string;
  /** An `.h5ad` file with raw counts in `X`. */
  h5ad?: string;
  /** A 10x HDF5 file (`filtered_feature_bc_matrix.h5`). */
  tenxH5?: string;
}

/** Reads counts from whichever single source is given (the stages' three optional ports). */
export async function readCounts(source: CountsSource): Promise<AnnData> {
  const given = Object.entries(source).filter(([, v]) => v !== undefined);
  if (given.length !== 1) {
    throw new ChromflowError('WORKFLOW', 'exactly one counts input must be wired', {
      field: 'counts-mtx | counts-h5ad | counts-10x-h5',
      expected: 'one of them',
      found: given.length === 0 ? 'none' : given.map(([k]) => k).join(', '),
    });
  }
  if (source.mtxDir) return readTenxMtx(source.mtxDir);
  if (source.h5ad) return readH5ad(source.h5ad);
  return readTenxH5(source.tenxH5!);
}
