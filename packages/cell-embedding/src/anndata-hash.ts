import { createHash } from 'node:crypto';
import type { AnnData } from './anndata-types.js';

/**
 * sha256 of what an AnnData holds for a model: obs and var names and X (CSR
 * indptr, indices, values). A file hash of an `.h5ad` will not do as a data
 * hash: HDF5 object headers carry write times, so two writes of the same
 * matrix differ in bytes (and a checkpoint's manifest would too).
 */
export function hashAnnDataContent(ad: AnnData): string {
  const h = createHash('sha256');
  h.update(`obs\0${ad.obs.index.join('\0')}\nvar\0${ad.var.index.join('\0')}\n`);
  h.update(`X ${ad.X.nRows}×${ad.X.nCols}\n`);
  for (const a of [ad.X.indptr, ad.X.indices, ad.X.values])
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}
