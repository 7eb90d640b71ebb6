import { ChromflowError } from '@chromflow/core';

/**
 * Everything XChrom trains on, held compactly: base codes of every peak
 * window, the binarised counts as a peak-major sparse index (never a dense
 * peaks × cells matrix), the per-cell RNA embedding and depth covariate.
 */
export interface XChromData {
  nPeaks: number;
  nCells: number;
  seqLength: number;
  /** [nPeaks · seqLength] base codes A=0 C=1 G=2 T=3 N=4, row i = peak i. */
  codes: Uint8Array;
  /** Peak-major CSR of the cells with count > 0: cells of peak p are `cellIndices[peakPtr[p]..peakPtr[p+1])`. */
  peakPtr: Int32Array;
  cellIndices: Int32Array;
  /** [nCells · embeddingDim] RNA embedding (z-scored PCA), row c = cell c. */
  cellInputs: Float32Array;
  embeddingDim: number;
  /** [nCells] per-cell depth covariate (`b_zscore`). */
  depth: Float32Array;
  barcodes: string[];
  peakNames: string[];
}

/**
 * Builds the peak-major binarised index from COO counts with rows = cells and
 * cols = peaks (the `sparse-coo` count table's layout); entries ≤ 0 are dropped.
 */
export function peakIndexFromCellCounts(
  nCells: number,
  nPeaks: number,
  rows: Int32Array,
  cols: Int32Array,
  values: Float32Array,
): { peakPtr: Int32Array; cellIndices: Int32Array } {
  const counts = new Int32Array(nPeaks + 1);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    const c = cols[i] as number;
    if (r < 0 || r >= nCells || c < 0 || c >= nPeaks) {
      throw new ChromflowError('VALUE', 'a count entry lies outside the cells × regions shape', {
        expected: `row < ${nCells}, col < ${nPeaks}`,
        found: `row ${r}, col ${c}`,
      });
    }
    if ((values[i] as number) > 0) counts[c + 1] = (counts[c + 1] as number) + 1;
  }
  for (let p = 0; p < nPeaks; p++)
    counts[p + 1] = (counts[p + 1] as number) + (counts[p] as number);
  const peakPtr = counts.slice();
  const fill = counts.slice(0, nPeaks);
  const cellIndices = new Int32Array(peakPtr[nPeaks] as number);
  for (let i = 0; i < rows.length; i++) {
    if ((values[i] as number) <= 0) continue;
    const c = cols[i] as number;
    const at = fill[c] as number;
    cellIndices[at] = rows[i] as number;
    fill[c] = at + 1;
  }
  // Sort each peak's cells (duplicates in COO would otherwise double-count).
  for (let p = 0; p < nPeaks; p++) {
    const seg = cellIndices.subarray(peakPtr[p], peakPtr[p + 1]);
    seg.sort();
  }
  return { peakPtr, cellIndices };
}

/**
 * Dense 0/1 targets [peaks.length · cells.length] (row-major peaks × cells) of
 * one block; `cellColumn` maps a cell index to its column or −1.
 */
export function makeDenseTargets(
  data: XChromData,
  peaks: ArrayLike<number>,
  cells: ArrayLike<number>,
): Uint8Array {
  const column = new Int32Array(data.nCells).fill(-1);
  for (let j = 0; j < cells.length; j++) column[cells[j] as number] = j;
  const out = new Uint8Array(peaks.length * cells.length);
  for (let i = 0; i < peaks.length; i++) {
    const p = peaks[i] as number;
    for (let k = data.peakPtr[p] as number; k < (data.peakPtr[p + 1] as number); k++) {
      const j = column[data.cellIndices[k] as number] as number;
      if (j >= 0) out[i * cells.length + j] = 1;
    }
  }
  return out;
}

/** The RNA embedding rows of `cells`, [cells.length · embeddingDim]. */
export function gatherCellInputs(data: XChromData, cells: ArrayLike<number>): Float32Array {
  const d = data.embeddingDim;
  const out = new Float32Array(cells.length * d);
  for (let j = 0; j < cells.length; j++) {
    const c = cells[j] as number;
    out.set(data.cellInputs.subarray(c * d, (c + 1) * d), j * d);
  }
  return out;
}

/** The depth covariate of `cells`. */
export function gatherDepth(data: XChromData, cells: ArrayLike<number>): Float32Array {
  return Float32Array.from(
    Array.from({ length: cells.length }, (_, j) => data.depth[cells[j] as number] as number),
  );
}

/** Base codes of `peaks`, [peaks.length · seqLength]. */
export function gatherCodes(data: XChromData, peaks: ArrayLike<number>): Uint8Array {
  const L = data.seqLength;
  const out = new Uint8Array(peaks.length * L);
  for (let i = 0; i < peaks.length; i++) {
    const p = peaks[i] as number;
    out.set(data.codes.subarray(p * L, (p + 1) * L), i * L);
  }
  return out;
}

/**
 * XChrom's augmentation of one batch, in place on `codes` [n · L]: reverse
 * complement (A↔T, C↔G, N stays N) then shift by `shift` bp, padding with
 * code 4 (encoded as 0.25 everywhere). A positive shift moves bases right.
 */
export function augmentCodes(
  codes: Uint8Array,
  seqLength: number,
  reverse: boolean,
  shift: number,
): void {
  const L = seqLength;
  const n = codes.length / L;
  const tmp = new Uint8Array(L);
  for (let s = 0; s < n; s++) {
    const row = codes.subarray(s * L, (s + 1) * L);
    if (reverse) {
      for (let i = 0; i < L; i++) {
        const c = row[L - 1 - i] as number;
        tmp[i] = c < 4 ? 3 - c : c;
      }
      row.set(tmp);
    }
    if (shift !== 0) {
      tmp.fill(4);
      for (let i = 0; i < L; i++) {
        const j = i + shift;
        if (j >= 0 && j < L) tmp[j] = row[i] as number;
      }
      row.set(tmp);
    }
  }
}
