import { ChromflowError } from '@chromflow/core';
import { subsampleTokenSets, type TokenSets } from '@chromflow/atac-pseudobulk';

/** Token sets ready for the model, and the cells left out. */
export interface AtacformerInputs {
  sets: TokenSets;
  /** Barcodes of cells with zero tokens: left out of training and of the embeddings. */
  empty: string[];
}

/**
 * The rule for cells with zero tokens: they carry no input, so they are left
 * out (the caller reports them); no cell at all is an error. Every token id
 * must be a region of the model's vocabulary (7 ≤ id < `vocabSize`). Cells
 * with more than `contextLength` tokens keep a seeded random subset
 * (atac-pseudobulk's `subsampleTokenSets`, per barcode).
 */
export function atacformerInputs(
  sets: TokenSets,
  vocabSize: number,
  contextLength: number,
  seed: number,
  path?: string,
): AtacformerInputs {
  const n = sets.barcodes.length;
  const keep: number[] = [];
  const empty: string[] = [];
  for (let r = 0; r < n; r++) {
    if (sets.offsets[r + 1]! > sets.offsets[r]!) keep.push(r);
    else empty.push(sets.barcodes[r]!);
  }
  if (keep.length === 0) {
    throw new ChromflowError('VALUE', 'no cell has any token', {
      path,
      field: 'tokens',
      expected: 'at least one cell with one or more universe regions',
      found: `${n} cells, all with zero tokens`,
      hint: 'check that the universe and the fragments use the same genome build and chromosome names',
    });
  }
  for (let k = 0; k < sets.tokens.length; k++) {
    const id = sets.tokens[k]!;
    if (!(id >= 7 && id < vocabSize)) {
      throw new ChromflowError('VALUE', 'token id outside the model vocabulary', {
        path,
        field: 'tokens',
        expected: `region ids 7 … ${vocabSize - 1}`,
        found: String(id),
        hint: 'the tokens were made with another vocabulary than the checkpoint',
      });
    }
  }
  const offsets = new Int32Array(keep.length + 1);
  keep.forEach((r, i) => (offsets[i + 1] = offsets[i]! + sets.offsets[r + 1]! - sets.offsets[r]!));
  const tokens = new Int32Array(offsets[keep.length]!);
  keep.forEach((r, i) =>
    tokens.set(sets.tokens.subarray(sets.offsets[r], sets.offsets[r + 1]), offsets[i]),
  );
  const kept: TokenSets = {
    barcodes: keep.map((r) => sets.barcodes[r]!),
    offsets,
    tokens,
    nOverlapped: Int32Array.from(keep, (r) => sets.nOverlapped[r]!),
  };
  return { sets: subsampleTokenSets(kept, contextLength, seed), empty };
}
