import { ChromflowError } from '@chromflow/core';
import type { TokenSets } from '@chromflow/atac-pseudobulk';
import { pairBarcodes, type AnnData, type BarcodePairing } from '@chromflow/cell-embedding';
import type { CraftPairs } from './train-craft.js';

/** Paired cells ready for CRAFT, and what was left out. */
export interface CraftInputs {
  pairs: CraftPairs;
  /** Genes of the expression rows (the RNA input and the imputed output), in order. */
  geneNames: string[];
  pairing: BarcodePairing;
}

/**
 * Pairs model-ready token sets with normalised expression (cell-embedding's
 * `rna-normalise` h5ad: X = log1p CP10k) by barcode, as dense rows over the
 * highly variable genes (`var/highly_variable`, when `hvgOnly` and the column
 * exists) or all genes. Cells in one modality only are left out (counted in
 * `pairing`); no pair at all is an error naming the RNA file.
 */
export function craftInputs(
  sets: TokenSets,
  rna: AnnData,
  options: { hvgOnly: boolean; path?: string },
): CraftInputs {
  const hv = rna.var.columns['highly_variable'];
  const genes: number[] = [];
  for (let j = 0; j < rna.X.nCols; j++) {
    if (!options.hvgOnly || hv === undefined || Boolean((hv as ArrayLike<unknown>)[j]))
      genes.push(j);
  }
  const pairing = pairBarcodes(rna.obs.index, sets.barcodes);
  if (pairing.rnaRows.length < 2 || genes.length === 0) {
    throw new ChromflowError('VALUE', 'CRAFT needs paired RNA and ATAC cells', {
      path: options.path,
      field: 'obs index (barcodes)',
      expected: '≥ 2 barcodes shared by the RNA h5ad and the token table, and ≥ 1 gene',
      found: `${pairing.rnaRows.length} shared barcodes, ${genes.length} genes (RNA e.g. ${rna.obs.index.slice(0, 2).join(', ')}; ATAC e.g. ${sets.barcodes.slice(0, 2).join(', ')})`,
    });
  }
  const col = new Int32Array(rna.X.nCols).fill(-1);
  genes.forEach((j, k) => (col[j] = k));
  const n = pairing.rnaRows.length;
  const g = genes.length;
  const dense = new Float32Array(n * g);
  const offsets = new Int32Array(n + 1);
  const nOverlapped = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = pairing.rnaRows[i]!;
    for (let p = rna.X.indptr[r]!; p < rna.X.indptr[r + 1]!; p++) {
      const k = col[rna.X.indices[p]!]!;
      if (k >= 0) dense[i * g + k] = rna.X.values[p]!;
    }
    const a = pairing.atacRows[i]!;
    offsets[i + 1] = offsets[i]! + sets.offsets[a + 1]! - sets.offsets[a]!;
    nOverlapped[i] = sets.nOverlapped[a]!;
  }
  const tokens = new Int32Array(offsets[n]!);
  for (let i = 0; i < n; i++) {
    const a = pairing.atacRows[i]!;
    tokens.set(sets.tokens.subarray(sets.offsets[a], sets.offsets[a + 1]), offsets[i]);
  }
  const barcodes = Array.from(pairing.rnaRows, (r) => rna.obs.index[r]!);
  return {
    pairs: { sets: { barcodes, offsets, tokens, nOverlapped }, rna: dense, genes: g },
    geneNames: genes.map((j) => rna.var.index[j]!),
    pairing,
  };
}
