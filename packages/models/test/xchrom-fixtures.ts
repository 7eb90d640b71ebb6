import type { XChromData } from '../src/data/xchrom-data.js';
import { peakIndexFromCellCounts } from '../src/data/xchrom-data.js';
import type { XChromConfig } from '../src/xchrom/config.js';
import { SeededRandom } from '@chromflow/core';

/** A tiny configuration that trains in seconds on the cpu backend. */
export const TINY: XChromConfig = {
  seqLength: 48,
  stemFilters: 8,
  stemKernel: 5,
  stemPool: 3,
  towerFilters: [8, 12],
  towerKernel: 3,
  towerPool: 2,
  bottleneckFilters: 4,
  embeddingDim: 8,
  dropout: 0.2,
  cellInputDim: 6,
  cellHidden: 8,
  cellNoiseSd: 0.01,
  bnEpsilon: 1e-3,
  bnMomentum: 0.9,
  lnEpsilon: 1e-3,
};

/**
 * Planted truth: half the peaks carry a motif (GGGGCCCC repeated); cells of
 * type 1 (embedding dim 0 = +1.5) open motif peaks with p = 0.85, everything
 * else is open with p = 0.1. Returns the data and the per-entry truth
 * probabilities (peaks × cells).
 */
export function makePlantedData(
  nPeaks: number,
  nCells: number,
  seed: number,
  L = 48,
): { data: XChromData; truth: Float32Array } {
  const rng = new SeededRandom(seed);
  const codes = new Uint8Array(nPeaks * L);
  const motif = [2, 2, 2, 2, 1, 1, 1, 1];
  const hasMotif: boolean[] = [];
  for (let p = 0; p < nPeaks; p++) {
    for (let i = 0; i < L; i++) codes[p * L + i] = rng.int(0, 4);
    const m = p % 2 === 0;
    hasMotif.push(m);
    if (m) {
      for (let r = 0; r < 2; r++) {
        const at = rng.int(2, L - 9);
        motif.forEach((c, k) => (codes[p * L + at + k] = c));
      }
    }
  }
  const D = 6;
  const cellInputs = new Float32Array(nCells * D);
  const type: number[] = [];
  for (let c = 0; c < nCells; c++) {
    const t = c % 2;
    type.push(t);
    for (let d = 0; d < D; d++) cellInputs[c * D + d] = rng.normal() * 0.5;
    cellInputs[c * D] = (cellInputs[c * D] as number) + (t ? 1.5 : -1.5);
  }
  const depth = Float32Array.from({ length: nCells }, () => rng.normal());
  const rows: number[] = [];
  const cols: number[] = [];
  const truth = new Float32Array(nPeaks * nCells);
  for (let p = 0; p < nPeaks; p++) {
    for (let c = 0; c < nCells; c++) {
      const pr = hasMotif[p] && type[c] === 1 ? 0.85 : 0.1;
      truth[p * nCells + c] = pr;
      if (rng.uniform() < pr) {
        rows.push(c);
        cols.push(p);
      }
    }
  }
  const { peakPtr, cellIndices } = peakIndexFromCellCounts(
    nCells,
    nPeaks,
    Int32Array.from(rows),
    Int32Array.from(cols),
    new Float32Array(rows.length).fill(1),
  );
  return {
    data: {
      nPeaks,
      nCells,
      seqLength: L,
      codes,
      peakPtr,
      cellIndices,
      cellInputs,
      embeddingDim: D,
      depth,
      barcodes: Array.from({ length: nCells }, (_, i) => `cell${i}`),
      peakNames: Array.from({ length: nPeaks }, (_, i) => `peak${i}`),
    },
    truth,
  };
}
