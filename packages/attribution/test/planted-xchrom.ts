import { SeededRandom } from '@chromflow/core';
import { peakIndexFromCellCounts, type XChromConfig, type XChromData } from '@chromflow/models';

/**
 * Planted truth small enough to train in seconds: motif A (GGGGCCCC) opens a
 * peak in type-1 cells, motif B (TTTTAAAA) in type-0 cells (p 0.85, else 0.1);
 * motif C (ACGTACGT) is planted nowhere. Peak p carries A when p % 3 = 0, B
 * when p % 3 = 1, nothing else, at `sites[p]` (0-based; -1 for none). The RNA
 * embedding carries the type in its first dimension (±1.5).
 */
export const PLANTED_L = 48;
export const PLANTED_D = 6;
export const TINY: XChromConfig = {
  seqLength: PLANTED_L,
  stemFilters: 8,
  stemKernel: 5,
  stemPool: 3,
  towerFilters: [8, 12],
  towerKernel: 3,
  towerPool: 2,
  bottleneckFilters: 4,
  embeddingDim: 8,
  dropout: 0.2,
  cellInputDim: PLANTED_D,
  cellHidden: 8,
  cellNoiseSd: 0.01,
  bnEpsilon: 1e-3,
  bnMomentum: 0.9,
  lnEpsilon: 1e-3,
};
export const MOTIF_A = new Uint8Array([2, 2, 2, 2, 1, 1, 1, 1]);
export const MOTIF_B = new Uint8Array([3, 3, 3, 3, 0, 0, 0, 0]);
export const MOTIF_C = new Uint8Array([0, 1, 2, 3, 0, 1, 2, 3]);

export interface PlantedSet {
  data: XChromData;
  /** Cell type (0 or 1) of each cell. */
  type: number[];
  /** Per peak: 0 = A planted, 1 = B, 2 = none. */
  kind: number[];
  /** Per peak: 0-based start of the planted site, -1 where none. */
  sites: number[];
}

export function makePlantedSet(nPeaks = 240, nCells = 40, seed = 3): PlantedSet {
  const L = PLANTED_L;
  const D = PLANTED_D;
  const rng = new SeededRandom(seed);
  const codes = Uint8Array.from({ length: nPeaks * L }, () => rng.int(0, 4));
  const kind = Array.from({ length: nPeaks }, (_, p) => p % 3);
  const sites = kind.map(() => -1);
  kind.forEach((k, p) => {
    if (k < 2) {
      const site = rng.int(4, L - 12);
      sites[p] = site;
      codes.set(k === 0 ? MOTIF_A : MOTIF_B, p * L + site);
    }
  });
  const type = Array.from({ length: nCells }, (_, c) => c % 2);
  const cellInputs = Float32Array.from({ length: nCells * D }, () => rng.normal() * 0.5);
  type.forEach((t, c) => (cellInputs[c * D] = (cellInputs[c * D] as number) + (t ? 1.5 : -1.5)));
  const rows: number[] = [];
  const cols: number[] = [];
  for (let p = 0; p < nPeaks; p++)
    for (let c = 0; c < nCells; c++) {
      const open = (kind[p] === 0 && type[c] === 1) || (kind[p] === 1 && type[c] === 0);
      if (rng.uniform() < (open ? 0.85 : 0.1)) {
        rows.push(c);
        cols.push(p);
      }
    }
  const data: XChromData = {
    nPeaks,
    nCells,
    seqLength: L,
    codes,
    ...peakIndexFromCellCounts(
      nCells,
      nPeaks,
      Int32Array.from(rows),
      Int32Array.from(cols),
      new Float32Array(rows.length).fill(1),
    ),
    cellInputs,
    embeddingDim: D,
    depth: new Float32Array(nCells),
    barcodes: Array.from({ length: nCells }, (_, i) => `c${i}`),
    peakNames: Array.from({ length: nPeaks }, (_, i) => `p${i}`),
  };
  return { data, type, kind, sites };
}
